/* _trueup.c -- trueup._trueup, the C extension under the Python package.
 *
 * It is a front end on libtrueup's public API (include/trueup/ only), as
 * the CLI and the Ansible module are, and stays low level: the package's
 * Python code (python/trueup/) builds the classes people use on it.
 *
 *   load(paths) / load_json(text, name)   -> Desired  (tu_desired_load*)
 *   Desired.run(options, ...)              -> the report: (JSON text,
 *                                             result tuples, _trueup_result.c)
 *   Desired.export(options, ...)           -> the live records as YAML text
 *   Desired.job(options, ...)              -> Job, for an event loop (_trueup_job.c)
 *   Desired.add_bulk(match, set), .scrub(text), .record_count
 *   Cancel()                               a flag a run watches (options.cancel)
 *
 * Blocking calls release the GIL: other Python threads run meanwhile, and
 * several runs may go on at once in several threads (a tu_desired is only
 * read by tu_run). A run that reports each record's outcome as it is known
 * (run(..., on_result)) gives tu_run a record callback (options.record).
 * Callbacks from the library (progress, record) take the
 * GIL back for the time of the Python call. An exception raised by a
 * callback, or a signal's (Ctrl-C: KeyboardInterrupt), cancels the run the
 * way options.cancel does, and is raised when the run has stopped.
 *
 * Failures raise _trueup.CError(code, kind name, message); the package
 * turns it into its exception classes (trueup.Error and subclasses).
 */
#include "_trueup.h"

#include <curl/curl.h>
#include <string.h>
#include <time.h>

static PyObject *CError;

PyObject *tu_py_raise(const tu_error *err)
{
    PyObject *args = Py_BuildValue("(iss)", (int)err->code,
                                   tu_error_code_name(err->code),
                                   err->message);
    if (args) {
        PyErr_SetObject(CError, args);
        Py_DECREF(args);
    }
    return NULL;
}

/* ---- Cancel ------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    volatile sig_atomic_t flag;
} CancelObject;

static PyObject *cancel_set(PyObject *self, PyObject *unused)
{
    (void)unused;
    ((CancelObject *)self)->flag = 1;
    Py_RETURN_NONE;
}

static PyObject *cancel_is_set(PyObject *self, void *unused)
{
    (void)unused;
    return PyBool_FromLong(((CancelObject *)self)->flag != 0);
}

static PyMethodDef cancel_methods[] = {
    {"set", cancel_set, METH_NOARGS,
     "Ask the runs watching this flag to stop (any thread)."},
    {NULL, NULL, 0, NULL}
};

static PyGetSetDef cancel_getset[] = {
    {"is_set", cancel_is_set, NULL, "True once set() was called.", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

static PyTypeObject CancelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "trueup._trueup.Cancel",
    .tp_basicsize = sizeof(CancelObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A cancellation flag for runs (tu_options.cancel).",
    .tp_new = PyType_GenericNew,
    .tp_methods = cancel_methods,
    .tp_getset = cancel_getset,
};

/* ---- Desired ------------------------------------------------------------ */

static void desired_dealloc(PyObject *self)
{
    tu_desired_free(((DesiredObject *)self)->desired);
    Py_TYPE(self)->tp_free(self);
}


/* Takes `desired` (NULL: raise `err`). */
static PyObject *desired_wrap(tu_desired *desired, const tu_error *err)
{
    DesiredObject *obj;

    if (!desired)
        return tu_py_raise(err);
    obj = PyObject_New(DesiredObject, &TuDesiredType);
    if (!obj) {
        tu_desired_free(desired);
        return NULL;
    }
    obj->desired = desired;
    return (PyObject *)obj;
}

/* A Python list of str into a malloc'd array of borrowed UTF-8 pointers
 * (valid while the list's strings live). NULL with an exception set. */
static const char **utf8_array(PyObject *list, Py_ssize_t *count)
{
    const char **out;
    Py_ssize_t n;

    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "expected a list of str");
        return NULL;
    }
    n = PyList_GET_SIZE(list);
    out = PyMem_Calloc((size_t)n + 1, sizeof *out);
    if (!out)
        return (const char **)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        out[i] = PyUnicode_AsUTF8(PyList_GET_ITEM(list, i));
        if (!out[i]) {
            PyMem_Free(out);
            return NULL;
        }
    }
    *count = n;
    return out;
}

static PyObject *mod_load(PyObject *module, PyObject *arg)
{
    tu_error err = {0};
    tu_desired *desired;
    const char **paths;
    Py_ssize_t n = 0;

    (void)module;
    if (!(paths = utf8_array(arg, &n)))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    desired = tu_desired_load(paths, (size_t)n, &err);
    Py_END_ALLOW_THREADS
    PyMem_Free(paths);
    return desired_wrap(desired, &err);
}

static PyObject *mod_load_json(PyObject *module, PyObject *args)
{
    tu_error err = {0};
    json_error_t jerr;
    tu_desired *desired;
    const char *text, *name;
    Py_ssize_t len;
    json_t *doc;

    (void)module;
    if (!PyArg_ParseTuple(args, "s#s", &text, &len, &name))
        return NULL;
    doc = json_loadb(text, (size_t)len, 0, &jerr);
    if (!doc)
        return PyErr_Format(PyExc_ValueError, "%s: not JSON: %s", name,
                            jerr.text);
    Py_BEGIN_ALLOW_THREADS
    desired = tu_desired_load_json(doc, name, &err);
    Py_END_ALLOW_THREADS
    json_decref(doc);
    return desired_wrap(desired, &err);
}

/* The library's messages about a bulk rule name the keyword arguments. */
static const tu_bulk_names bulk_names = {"match", "set"};

static PyObject *desired_add_bulk(PyObject *self, PyObject *args)
{
    tu_desired *desired = ((DesiredObject *)self)->desired;
    tu_error err = {0};
    PyObject *match_list, *set_list;
    const char **match = NULL, **set = NULL;
    Py_ssize_t nmatch = 0, nset = 0;
    int rc = -1;

    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &match_list,
                          &PyList_Type, &set_list))
        return NULL;
    if ((match = utf8_array(match_list, &nmatch)) &&
        (set = utf8_array(set_list, &nset)))
        rc = tu_desired_add_bulk(desired, match, (size_t)nmatch, set,
                                 (size_t)nset, &bulk_names, &err);
    PyMem_Free(match);
    PyMem_Free(set);
    if (rc != 0)
        return PyErr_Occurred() ? NULL : tu_py_raise(&err);
    Py_RETURN_NONE;
}

/* `text` with every secret the target read replaced by "***", as the
 * library scrubs its own texts (values under 4 bytes are left alone). */
static PyObject *desired_scrub(PyObject *self, PyObject *text)
{
    const tu_desired *desired = ((DesiredObject *)self)->desired;
    const char *secret;
    PyObject *out, *from, *next, *stars;

    if (!PyUnicode_Check(text))
        return PyErr_Format(PyExc_TypeError, "scrub() takes a str");
    if (!(stars = PyUnicode_FromString("***")))
        return NULL;
    out = Py_NewRef(text);
    for (size_t i = 0; out && (secret = tu_desired_secret(desired, i)); i++) {
        if (strlen(secret) < 4)
            continue;
        from = PyUnicode_DecodeUTF8(secret, (Py_ssize_t)strlen(secret),
                                    "replace");
        next = from ? PyUnicode_Replace(out, from, stars, -1) : NULL;
        Py_XDECREF(from);
        Py_SETREF(out, next);
    }
    Py_DECREF(stars);
    return out;
}

static PyObject *desired_record_count(PyObject *self, void *unused)
{
    (void)unused;
    return PyLong_FromSize_t(
        tu_desired_record_count(((DesiredObject *)self)->desired));
}

/* ---- running: callbacks with the GIL ------------------------------------ */

/* What a run's callbacks share with the thread that waits for it. */
typedef struct run_ctx {
    PyThreadState *thread;  /* saved while the GIL is released */
    PyObject *progress;     /* borrowed; NULL: none */
    PyObject *on_result;    /* borrowed; NULL: none */
    volatile sig_atomic_t *cancel;
    PyObject *exc_type;     /* the first exception a callback raised */
    PyObject *exc_value;
    PyObject *exc_tb;
    long long last_signal_check;   /* now_ms() */
} run_ctx;

/* A callback failed (exception set): keep the exception, stop the run. */
static void ctx_fail(run_ctx *ctx)
{
    if (!ctx->exc_type)
        PyErr_Fetch(&ctx->exc_type, &ctx->exc_value, &ctx->exc_tb);
    else
        PyErr_Clear();
    *ctx->cancel = 1;
}

/* The monotonic clock, in milliseconds (the module includes only the
 * public API, so it reads the clock itself). */
static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Signal handlers (Ctrl-C) run at most every 100 ms, so that a run with
 * thousands of requests does not take the GIL back for each one. */
static int signal_check_due(run_ctx *ctx)
{
    long long now = now_ms();

    if (now - ctx->last_signal_check < 100)
        return 0;
    ctx->last_signal_check = now;
    return 1;
}

static void on_progress(const tu_progress *p, void *data)
{
    run_ctx *ctx = data;
    PyObject *r;

    if (!ctx->progress && !signal_check_due(ctx))
        return;
    PyEval_RestoreThread(ctx->thread);
    if (ctx->progress && !ctx->exc_type) {
        r = PyObject_CallFunction(ctx->progress, "snn", p->phase,
                                  (Py_ssize_t)p->done, (Py_ssize_t)p->total);
        if (r)
            Py_DECREF(r);
        else
            ctx_fail(ctx);
    }
    if (!ctx->exc_type && PyErr_CheckSignals() != 0)
        ctx_fail(ctx);
    ctx->thread = PyEval_SaveThread();
}

int tu_py_options(PyObject *tuple, tu_options *options)
{
    int mode = TU_MODE_PLAN, prune = -1, force = 0, change_protected = 0;
    long concurrency = 0;

    tu_options_init(options);
    if (!PyArg_ParseTuple(tuple, "ilipp:options", &mode, &concurrency, &prune,
                          &force, &change_protected))
        return -1;
    options->mode = mode == TU_MODE_APPLY ? TU_MODE_APPLY : TU_MODE_PLAN;
    options->concurrency = concurrency;
    options->prune = prune < 0 ? -1 : prune != 0;
    options->force = force;
    options->change_protected = change_protected;
    return 0;
}

/* Fill `options` and `ctx` from run(options, progress, cancel[,
 * on_result]): the options tuple (mode, concurrency, prune, force, change_protected), a
 * progress callable or None, a Cancel or None (then `own_flag` is the
 * run's flag), a callable or None. */
static int run_setup(PyObject *args, tu_options *options, run_ctx *ctx,
                     volatile sig_atomic_t *own_flag)
{
    PyObject *opts, *progress, *cancel, *on_result = Py_None;

    memset(ctx, 0, sizeof *ctx);
    if (!PyArg_ParseTuple(args, "O!OO|O", &PyTuple_Type, &opts, &progress,
                          &cancel, &on_result) ||
        tu_py_options(opts, options) != 0)
        return -1;
    if (cancel != Py_None && !PyObject_TypeCheck(cancel, &CancelType)) {
        PyErr_SetString(PyExc_TypeError, "cancel must be a _trueup.Cancel");
        return -1;
    }
    options->progress = on_progress;
    options->progress_data = ctx;
    ctx->progress = progress == Py_None ? NULL : progress;
    ctx->on_result = on_result == Py_None ? NULL : on_result;
    ctx->cancel = cancel == Py_None ? own_flag
                                    : &((CancelObject *)cancel)->flag;
    options->cancel = ctx->cancel;
    ctx->last_signal_check = now_ms();
    return 0;
}

/* After the run: a callback's exception wins over the run's outcome. */
static int ctx_raised(run_ctx *ctx)
{
    if (!ctx->exc_type)
        return 0;
    PyErr_Restore(ctx->exc_type, ctx->exc_value, ctx->exc_tb);
    ctx->exc_type = ctx->exc_value = ctx->exc_tb = NULL;
    return 1;
}

/* Each record's outcome, as it is known, to on_result (a result tuple). */
static void on_record(const tu_record_result *result, void *data)
{
    run_ctx *ctx = data;
    PyObject *r, *tuple;

    PyEval_RestoreThread(ctx->thread);
    if (!ctx->exc_type) {
        tuple = tu_py_result(result);
        r = tuple ? PyObject_CallFunctionObjArgs(ctx->on_result, tuple, NULL)
                  : NULL;
        Py_XDECREF(tuple);
        if (r)
            Py_DECREF(r);
        else
            ctx_fail(ctx);
    }
    ctx->thread = PyEval_SaveThread();
}

static PyObject *desired_run(PyObject *self, PyObject *args)
{
    const tu_desired *desired = ((DesiredObject *)self)->desired;
    volatile sig_atomic_t own_flag = 0;
    tu_error err = {0};
    tu_options options;
    tu_report *report;
    run_ctx ctx;

    if (run_setup(args, &options, &ctx, &own_flag) != 0)
        return NULL;
    if (ctx.on_result) {
        options.record = on_record;
        options.record_data = &ctx;
    }
    ctx.thread = PyEval_SaveThread();
    report = tu_run(desired, &options, &err);
    PyEval_RestoreThread(ctx.thread);
    if (ctx_raised(&ctx)) {
        tu_report_free(report);
        return NULL;
    }
    if (!report)
        return tu_py_raise(&err);
    return tu_py_report(report);   /* takes the report */
}

static PyObject *desired_export(PyObject *self, PyObject *args)
{
    const tu_desired *desired = ((DesiredObject *)self)->desired;
    volatile sig_atomic_t own_flag = 0;
    tu_error err = {0};
    tu_options options;
    PyObject *out;
    run_ctx ctx;
    char *yaml;

    if (run_setup(args, &options, &ctx, &own_flag) != 0)
        return NULL;
    ctx.thread = PyEval_SaveThread();
    yaml = tu_export(desired, &options, &err);
    PyEval_RestoreThread(ctx.thread);
    if (ctx_raised(&ctx)) {
        tu_free(yaml);
        return NULL;
    }
    if (!yaml)
        return tu_py_raise(&err);
    out = PyUnicode_FromString(yaml);
    tu_free(yaml);
    return out;
}

static PyObject *desired_job(PyObject *self, PyObject *args, PyObject *kw)
{
    return tu_py_job_new(self, args, kw);
}

static PyMethodDef desired_methods[] = {
    {"add_bulk", desired_add_bulk, METH_VARARGS,
     "add_bulk(match, set): lists of 'FIELD=VALUE' (tu_desired_add_bulk)."},
    {"scrub", desired_scrub, METH_O,
     "scrub(text): text with the target's secrets replaced by ***."},
    {"run", desired_run, METH_VARARGS,
     "run(options, progress, cancel[, on_result]): tu_run; the report as "
     "(JSON text, [result tuples]). options: (mode, concurrency, prune, "
     "force, change_protected); on_result: called with each record's "
     "result tuple as it is known."},
    {"export", desired_export, METH_VARARGS,
     "export(options, progress, cancel): tu_export; YAML text."},
    {"job", (PyCFunction)(void (*)(void))desired_job,
     METH_VARARGS | METH_KEYWORDS,
     "job(options, export, watch, timer, record, done): a Job for an "
     "event loop (tu_job_new)."},

    {NULL, NULL, 0, NULL}
};

static PyGetSetDef desired_getset[] = {
    {"record_count", desired_record_count, NULL,
     "The number of desired records loaded.", NULL},
    {NULL, NULL, NULL, NULL, NULL}
};

PyTypeObject TuDesiredType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "trueup._trueup.Desired",
    .tp_basicsize = sizeof(DesiredObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A loaded desired state (tu_desired); made by load().",
    .tp_dealloc = desired_dealloc,
    .tp_methods = desired_methods,
    .tp_getset = desired_getset,
};

/* ---- plan files ---------------------------------------------------------- */

/* The secrets a plan file's target read (at least 4 bytes: the ones the
 * library scrubs), as a tuple of str, for the Python side's scrub(). */
static PyObject *plan_secrets(const tu_plan_file *plan)
{
    const tu_desired *desired = tu_plan_file_desired(plan);
    const char *secret;
    PyObject *list = PyList_New(0), *s;

    for (size_t i = 0; list && (secret = tu_desired_secret(desired, i)); i++) {
        if (strlen(secret) < 4)
            continue;
        s = PyUnicode_DecodeUTF8(secret, (Py_ssize_t)strlen(secret),
                                 "replace");
        if (!s || PyList_Append(list, s) != 0)
            Py_CLEAR(list);
        Py_XDECREF(s);
    }
    return list;
}

/* plan_file_run(path, key, options, progress, cancel): load, check and
 * run a plan file (tu_plan_file_load, tu_plan_file_run) with the GIL
 * released. ((report text, [result tuples]), [secrets]); CError when the
 * file is refused. */
static PyObject *mod_plan_file_run(PyObject *module, PyObject *args)
{
    volatile sig_atomic_t own_flag = 0;
    const char *path, *key;
    tu_error err = {0};
    tu_options options;
    tu_plan_file *plan;
    tu_report *report = NULL;
    PyObject *opts, *progress, *cancel, *rest, *out = NULL, *text, *secrets;
    run_ctx ctx;
    int rc;

    (void)module;
    if (!PyArg_ParseTuple(args, "szOOO", &path, &key, &opts, &progress,
                          &cancel) ||
        !(rest = Py_BuildValue("(OOO)", opts, progress, cancel)))
        return NULL;
    rc = run_setup(rest, &options, &ctx, &own_flag);
    Py_DECREF(rest);
    if (rc != 0)
        return NULL;
    ctx.thread = PyEval_SaveThread();
    plan = tu_plan_file_load(path, key, &err);
    if (plan)
        report = tu_plan_file_run(plan, &options, &err);
    PyEval_RestoreThread(ctx.thread);
    if (ctx_raised(&ctx) || !report) {
        if (!PyErr_Occurred())
            tu_py_raise(&err);
        tu_report_free(report);
    } else if ((text = tu_py_report(report)) != NULL) {  /* takes it */
        secrets = plan_secrets(plan);
        out = secrets ? Py_BuildValue("(NN)", text, secrets) : NULL;
        if (!secrets)
            Py_DECREF(text);
    }
    tu_plan_file_free(plan);
    return out;
}

/* ---- the module --------------------------------------------------------- */

static PyObject *mod_error_code_name(PyObject *module, PyObject *arg)
{
    long code = PyLong_AsLong(arg);

    (void)module;
    if (code == -1 && PyErr_Occurred())
        return NULL;
    return PyUnicode_FromString(tu_error_code_name((tu_error_code)code));
}

static PyMethodDef module_methods[] = {
    {"load", mod_load, METH_O,
     "load(paths): a Desired from desired-state files (tu_desired_load)."},
    {"load_json", mod_load_json, METH_VARARGS,
     "load_json(text, name): a Desired from a JSON document in the file's "
     "shape (tu_desired_load_json)."},
    {"plan_file_run", mod_plan_file_run, METH_VARARGS,
     "plan_file_run(path, key, options, progress, cancel): run a plan file "
     "(tu_plan_file_load, tu_plan_file_run); ((report text, results), "
     "secrets)."},
    {"report_json", tu_py_report_json, METH_O,
     "report_json(handle) -> str: a report's whole JSON text."},
    {"report_results", tu_py_report_results, METH_O,
     "report_results(handle) -> list: a report's result tuples."},
    {"error_code_name", mod_error_code_name, METH_O,
     "error_code_name(code): tu_error_code_name, e.g. 'bad_input'."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "trueup._trueup",
    .m_doc = "libtrueup's public API, for the package trueup.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__trueup(void);

PyMODINIT_FUNC PyInit__trueup(void)
{
    PyObject *m;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return PyErr_Format(PyExc_ImportError,
                            "libcurl could not be initialised");
    if (PyType_Ready(&CancelType) < 0 || PyType_Ready(&TuDesiredType) < 0 ||
        PyType_Ready(&TuJobType) < 0)
        return NULL;
    if (!(m = PyModule_Create(&module_def)))
        return NULL;
    CError = PyErr_NewException("trueup._trueup.CError", NULL, NULL);
    if (PyModule_AddObjectRef(m, "CError", CError) < 0 ||
        PyModule_AddObjectRef(m, "Cancel", (PyObject *)&CancelType) < 0 ||
        PyModule_AddObjectRef(m, "Desired", (PyObject *)&TuDesiredType) < 0 ||
        PyModule_AddObjectRef(m, "Job", (PyObject *)&TuJobType) < 0 ||
        PyModule_AddIntConstant(m, "WATCH_READ", TU_WATCH_READ) < 0 ||
        PyModule_AddIntConstant(m, "WATCH_WRITE", TU_WATCH_WRITE) < 0 ||
        PyModule_AddIntConstant(m, "EVENT_READ", TU_EVENT_READ) < 0 ||
        PyModule_AddIntConstant(m, "EVENT_WRITE", TU_EVENT_WRITE) < 0 ||

        PyModule_AddStringConstant(m, "version", tu_version()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
