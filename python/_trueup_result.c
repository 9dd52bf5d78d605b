/* _trueup_result.c -- per-record results and reports, handed to Python.
 *
 * A result (tu_record_result: from a report, or to a record callback as
 * its outcome is known) becomes a tuple the package's Result reads
 * (python/trueup/_report.py, Result._from_c):
 *
 *   (key, action, status, http_status, attempts, id, changes, error,
 *    refused, note, key_fields, resource)
 *
 * None for what the result does not have (http_status and attempts when no
 * request was made, as in the report's JSON); changes as the JSON text the
 * library wrote (the package parses it); key_fields a tuple of (name,
 * value) pairs, empty when the key is not known field by field; resource
 * the record's resource in a desired state of several (None: one).
 *
 * A report becomes (summary, handle). The summary is the report's
 * members but "results" as JSON text (tu_report_summary); the handle is a
 * capsule that owns the report (tu_report_free when Python drops it), from
 * which report_json() and report_results() make the whole JSON text and
 * the result tuples when the package first asks (python/trueup/_report.py).
 * A caller that reads only the counts of a run of 10,000 records does not
 * pay for 10,000 tuples, the JSON text, nor its parse.
 */
#include "_trueup.h"

/* A borrowed C string as a new str, or None for NULL. */
static PyObject *str_or_none(const char *s)
{
    if (s)
        return PyUnicode_FromString(s);
    Py_RETURN_NONE;
}

static PyObject *key_fields(const tu_record_result *r)
{
    PyObject *out = PyTuple_New((Py_ssize_t)r->key_count);

    for (size_t i = 0; out && i < r->key_count; i++) {
        PyObject *pair = Py_BuildValue("(ss)", r->key_names[i],
                                       r->key_values[i]);
        if (!pair) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, (Py_ssize_t)i, pair);
    }
    return out;
}

PyObject *tu_py_result(const tu_record_result *r)
{
    PyObject *request = r->attempts ? Py_BuildValue(
        "(lI)", r->http_status, r->attempts) : Py_BuildValue("(OO)",
                                                            Py_None, Py_None);
    PyObject *out;

    if (!request)
        return NULL;
    out = Py_BuildValue("(sssOONNNNNNN)", r->key, r->action, r->status,
                        PyTuple_GET_ITEM(request, 0),
                        PyTuple_GET_ITEM(request, 1), str_or_none(r->id),
                        str_or_none(r->changes), str_or_none(r->error),
                        str_or_none(r->refused), str_or_none(r->note),
                        key_fields(r), str_or_none(r->resource));
    Py_DECREF(request);
    return out;
}

/* The report's members but "results" as compact JSON text (a new
 * reference), or None when the report has no summary. */
static PyObject *summary_text(const tu_report *report)
{
    const json_t *summary = tu_report_summary(report);
    char *text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
    PyObject *out;

    if (!summary)
        Py_RETURN_NONE;
    if (!text)
        return PyErr_NoMemory();
    out = PyUnicode_FromString(text);
    free(text);
    return out;
}

#define REPORT_CAPSULE "trueup.report"

static void report_capsule_free(PyObject *capsule)
{
    tu_report_free(PyCapsule_GetPointer(capsule, REPORT_CAPSULE));
}

/* The report a handle owns, or NULL with TypeError set. */
static const tu_report *report_of(PyObject *handle)
{
    return PyCapsule_GetPointer(handle, REPORT_CAPSULE);
}

PyObject *tu_py_report(tu_report *report)
{
    PyObject *summary = summary_text(report), *handle;

    if (!summary) {
        tu_report_free(report);
        return NULL;
    }
    if (!(handle = PyCapsule_New(report, REPORT_CAPSULE,
                                 report_capsule_free))) {
        tu_report_free(report);
        Py_DECREF(summary);
        return NULL;
    }
    return Py_BuildValue("(NN)", summary, handle);
}

PyObject *tu_py_report_json(PyObject *module, PyObject *handle)
{
    const tu_report *report = report_of(handle);
    char *text = report ? tu_report_dumps(report) : NULL;
    PyObject *out;

    (void)module;
    if (!report)
        return NULL;
    if (!text)
        return PyErr_NoMemory();
    out = PyUnicode_FromString(text);
    tu_free(text);
    return out;
}

PyObject *tu_py_report_results(PyObject *module, PyObject *handle)
{
    const tu_report *report = report_of(handle);
    size_t n = report ? tu_report_result_count(report) : 0;
    PyObject *results;

    (void)module;
    if (!report || !(results = PyList_New((Py_ssize_t)n)))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *r = tu_py_result(tu_report_result(report, i));
        if (!r) {
            Py_DECREF(results);
            return NULL;
        }
        PyList_SET_ITEM(results, (Py_ssize_t)i, r);
    }
    return results;
}
