/* _trueup_job.c -- _trueup.Job: one libtrueup job (the non-blocking face)
 * driven by a Python async library.
 *
 * The package's async face (python/trueup/_async.py, on asyncio, Trio or
 * AnyIO) makes a Job with four Python callables and drives it from the
 * task that awaits the run:
 *
 *   watch(fd, what)    the job asks to watch fd (TU_WATCH_* bits; 0: stop)
 *                      -> the run's private selector (epoll), at once
 *   timer(ms)          the job's one timer (-1: none) -> the run's deadline,
 *                      on the async library's clock
 *   record(result)     one record's outcome, a result tuple
 *                      (_trueup_result.c)
 *   done()             the job is over: report() or raise_error()
 *   progress(phase, done, total)   optional, as tu_options.progress
 *
 * and calls socket_ready(fd, events) and timeout() when the selector or
 * the deadline says so. Everything happens in the driving task's thread
 * with the GIL held: the callbacks are called from inside attach,
 * socket_ready, timeout, cancel and close, never at any other time. A callback that raises cancels the
 * job (tu_job_cancel) and its exception is raised by the call that drove
 * the job when that call returns.
 *
 * Ownership: the Job holds the Desired (which must outlive the tu_job) and
 * the callables; close() frees the tu_job and drops them, and so does the
 * garbage collector (the callables usually point back at the Job's owner).
 */
#include "_trueup.h"

typedef struct {
    PyObject_HEAD
    tu_job *job;            /* owned; NULL once closed */
    PyObject *desired;      /* the DesiredObject the job reads */
    PyObject *watch, *timer, *record, *done, *progress;
    PyObject *exc_type, *exc_value, *exc_tb;  /* a callback's exception */
} JobObject;

/* Call `fn` with `args` (a new tuple, taken); a failure is kept and
 * cancels the job. 0, or -1 when it failed. */
static int job_call(JobObject *self, PyObject *fn, PyObject *args)
{
    PyObject *r = NULL;

    if (args && fn && fn != Py_None)
        r = PyObject_Call(fn, args, NULL);
    else if (args)
        r = Py_NewRef(Py_None);
    Py_XDECREF(args);
    if (r) {
        Py_DECREF(r);
        return 0;
    }
    if (!self->exc_type)
        PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
    else
        PyErr_Clear();
    if (self->job)
        tu_job_cancel(self->job);
    return -1;
}

static int on_watch(tu_job *job, int fd, int what, void *data)
{
    JobObject *self = data;
    (void)job;
    return job_call(self, self->watch, Py_BuildValue("(ii)", fd, what));
}

static void on_timer(tu_job *job, long timeout_ms, void *data)
{
    JobObject *self = data;
    (void)job;
    job_call(self, self->timer, Py_BuildValue("(l)", timeout_ms));
}

static void on_record(tu_job *job, const tu_record_result *result,
                      void *data)
{
    JobObject *self = data;
    PyObject *tuple;

    (void)job;
    if (!self->record || self->record == Py_None)
        return;
    if (!(tuple = tu_py_result(result))) {
        job_call(self, NULL, NULL);
        return;
    }
    job_call(self, self->record, Py_BuildValue("(N)", tuple));
}

static void on_progress(const tu_progress *p, void *data)
{
    JobObject *self = data;
    job_call(self, self->progress, Py_BuildValue("(snn)", p->phase,
                                                 (Py_ssize_t)p->done,
                                                 (Py_ssize_t)p->total));
}

static void on_done(tu_job *job, const tu_report *report,
                    const tu_error *error, void *data)
{
    JobObject *self = data;
    (void)job, (void)report, (void)error;
    job_call(self, self->done, PyTuple_New(0));
}

/* After a call into the job: raise a callback's exception, if any. */
static PyObject *job_return(JobObject *self)
{
    if (!self->exc_type)
        Py_RETURN_NONE;
    PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
    return NULL;
}

static int job_open(JobObject *self)
{
    if (self->job)
        return 1;
    PyErr_SetString(PyExc_RuntimeError, "the job is closed");
    return 0;
}

PyObject *tu_py_job_new(PyObject *desired, PyObject *args, PyObject *kw)
{
    static char *names[] = {"options", "export", "watch", "timer", "record",
                            "done", "progress", NULL};
    PyObject *opts, *watch, *timer, *record, *done, *progress = Py_None;
    tu_job_callbacks callbacks;
    tu_error err = {0};
    tu_options options;
    JobObject *self;
    int export = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!pOOOO|O:job", names,
                                     &PyTuple_Type, &opts, &export, &watch,
                                     &timer, &record, &done, &progress) ||
        tu_py_options(opts, &options) != 0)
        return NULL;
    if (!(self = PyObject_GC_New(JobObject, &TuJobType)))
        return NULL;
    self->desired = Py_NewRef(desired);
    self->watch = Py_NewRef(watch);
    self->timer = Py_NewRef(timer);
    self->record = Py_NewRef(record);
    self->done = Py_NewRef(done);
    self->progress = Py_NewRef(progress);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
    if (progress != Py_None) {
        options.progress = on_progress;
        options.progress_data = self;
    }
    callbacks.record = on_record;
    callbacks.done = on_done;
    callbacks.data = self;
    self->job = (export ? tu_job_new_export : tu_job_new)(
        ((DesiredObject *)desired)->desired, &options, &callbacks, &err);
    PyObject_GC_Track(self);
    if (!self->job) {
        Py_DECREF(self);
        return tu_py_raise(&err);
    }
    return (PyObject *)self;
}

static PyObject *job_attach(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    tu_job_events events = {0};
    tu_error err = {0};

    (void)unused;
    if (!job_open(self))
        return NULL;
    events.watch = on_watch;
    events.timer = on_timer;
    events.data = self;
    if (tu_job_attach(self->job, &events, &err) != 0)
        return tu_py_raise(&err);
    return job_return(self);
}

static PyObject *job_socket_ready(PyObject *op, PyObject *args)
{
    JobObject *self = (JobObject *)op;
    int fd, events;

    if (!PyArg_ParseTuple(args, "ii", &fd, &events) || !job_open(self))
        return NULL;
    tu_job_socket_ready(self->job, fd, events);
    return job_return(self);
}

static PyObject *job_timeout(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    (void)unused;
    if (!job_open(self))
        return NULL;
    tu_job_timeout(self->job);
    return job_return(self);
}

static PyObject *job_cancel(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    (void)unused;
    if (self->job)
        tu_job_cancel(self->job);
    return job_return(self);
}

static PyObject *job_finished(PyObject *op, void *unused)
{
    JobObject *self = (JobObject *)op;
    (void)unused;
    return PyBool_FromLong(!self->job || tu_job_finished(self->job));
}

/* The finished run's report as (summary, handle), taken from the job
 * (the handle owns it): None when there is none, or once taken. */
static PyObject *job_report(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    tu_report *report;

    (void)unused;
    if (!job_open(self))
        return NULL;
    if (!(report = tu_job_take_report(self->job)))
        Py_RETURN_NONE;
    return tu_py_report(report);
}

/* Raise the finished job's error (CError); None when it has none. */
static PyObject *job_raise_error(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    const tu_error *err;

    (void)unused;
    if (!job_open(self))
        return NULL;
    if (!(err = tu_job_error(self->job)))
        Py_RETURN_NONE;
    return tu_py_raise(err);
}

static PyObject *job_take_export(PyObject *op, PyObject *unused)
{
    JobObject *self = (JobObject *)op;
    PyObject *out;
    char *text;

    (void)unused;
    if (!job_open(self))
        return NULL;
    if (!(text = tu_job_take_export(self->job)))
        Py_RETURN_NONE;
    out = PyUnicode_FromString(text);
    tu_free(text);
    return out;
}

/* Free the tu_job (an unfinished one is dropped: its watches are removed
 * through watch(), which is still called) and drop the callables. */
static int job_clear(PyObject *op)
{
    JobObject *self = (JobObject *)op;
    tu_job *job = self->job;

    self->job = NULL;       /* no cancel from a callback while freeing */
    tu_job_free(job);
    Py_CLEAR(self->watch);
    Py_CLEAR(self->timer);
    Py_CLEAR(self->record);
    Py_CLEAR(self->done);
    Py_CLEAR(self->progress);
    Py_CLEAR(self->desired);
    Py_CLEAR(self->exc_type);
    Py_CLEAR(self->exc_value);
    Py_CLEAR(self->exc_tb);
    return 0;
}

static PyObject *job_close(PyObject *op, PyObject *unused)
{
    (void)unused;
    job_clear(op);
    PyErr_Clear();
    Py_RETURN_NONE;
}

static int job_traverse(PyObject *op, visitproc visit, void *arg)
{
    JobObject *self = (JobObject *)op;
    Py_VISIT(self->watch);
    Py_VISIT(self->timer);
    Py_VISIT(self->record);
    Py_VISIT(self->done);
    Py_VISIT(self->progress);
    Py_VISIT(self->desired);
    return 0;
}

static void job_dealloc(PyObject *op)
{
    PyObject_GC_UnTrack(op);
    job_clear(op);
    PyErr_Clear();
    Py_TYPE(op)->tp_free(op);
}

static PyMethodDef job_methods[] = {
    {"attach", job_attach, METH_NOARGS,
     "Start: the job calls timer(0) before this returns."},
    {"socket_ready", job_socket_ready, METH_VARARGS,
     "socket_ready(fd, events): a watched socket is ready (TU_EVENT_*)."},
    {"timeout", job_timeout, METH_NOARGS, "The job's timer fired."},
    {"cancel", job_cancel, METH_NOARGS, "tu_job_cancel."},
    {"report", job_report, METH_NOARGS,
     "The finished run's report as (summary JSON text, handle), taken "
     "from the job: None when there is none, or once taken."},
    {"raise_error", job_raise_error, METH_NOARGS,
     "Raise the finished job's error (CError); None when it has none."},
    {"take_export", job_take_export, METH_NOARGS,
     "The finished export's YAML text, or None."},
    {"close", job_close, METH_NOARGS,
     "Free the job (an unfinished one is dropped) and its callables."},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef job_getset[] = {
    {"finished", job_finished, NULL, "Whether the job is over.", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject TuJobType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "trueup._trueup.Job",
    .tp_basicsize = sizeof(JobObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A libtrueup job driven by a Python event loop; made by "
              "Desired.job().",
    .tp_dealloc = job_dealloc,
    .tp_traverse = job_traverse,
    .tp_clear = job_clear,
    .tp_methods = job_methods,
    .tp_getset = job_getset,
};
