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
 * A report becomes (JSON text, [result tuples], summary): the summary is
 * the report's members but "results" as JSON text (tu_report_summary), so
 * that the counts of a run of 10,000 records are read without parsing
 * 10,000 results (about 20 ms).
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

PyObject *tu_py_report(const tu_report *report)
{
    size_t n = tu_report_result_count(report);
    char *text = tu_report_dumps(report);
    PyObject *results = PyList_New((Py_ssize_t)n), *json, *summary;

    if (!text || !results) {
        tu_free(text);
        Py_XDECREF(results);
        return text ? NULL : PyErr_NoMemory();
    }
    json = PyUnicode_FromString(text);
    tu_free(text);
    for (size_t i = 0; json && i < n; i++) {
        PyObject *r = tu_py_result(tu_report_result(report, i));
        if (!r) {
            Py_CLEAR(json);
            break;
        }
        PyList_SET_ITEM(results, (Py_ssize_t)i, r);
    }
    if (!json || !(summary = summary_text(report))) {
        Py_XDECREF(json);
        Py_DECREF(results);
        return NULL;
    }
    return Py_BuildValue("(NNN)", json, results, summary);
}
