/* _trueup.h -- what the extension's files share (see _trueup.c). */
#ifndef TRUEUP_PYTHON_TRUEUP_H
#define TRUEUP_PYTHON_TRUEUP_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <trueup/trueup.h>

/* A loaded desired state (_trueup.Desired). */
typedef struct {
    PyObject_HEAD
    tu_desired *desired;    /* owned */
} DesiredObject;

extern PyTypeObject TuDesiredType;
extern PyTypeObject TuJobType;

/* Raise _trueup.CError(code, kind name, message) for `err`; returns NULL. */
PyObject *tu_py_raise(const tu_error *err);

/* `options` from a tuple (mode, concurrency, prune, force,
 * change_protected): 0, or -1 with an exception set. */
int tu_py_options(PyObject *tuple, tu_options *options);

/* A result as the tuple Result._from_c reads (_trueup_result.c); NULL
 * with an exception set. */
PyObject *tu_py_result(const tu_record_result *result);

/* A report (taken over in every case) as (summary JSON text, handle): the
 * handle owns it (_trueup_result.c). NULL with an exception set. */
PyObject *tu_py_report(tu_report *report);

/* report_json(handle): the report's JSON text, as tu_report_dumps writes
 * it. report_results(handle): its results as a list of result tuples. */
PyObject *tu_py_report_json(PyObject *module, PyObject *handle);
PyObject *tu_py_report_results(PyObject *module, PyObject *handle);

/* Desired.job(...): a Job for the async face (_trueup_job.c). */
PyObject *tu_py_job_new(PyObject *desired, PyObject *args, PyObject *kw);

#endif
