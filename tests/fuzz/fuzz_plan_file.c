/* fuzz_plan_file.c -- plan files (state/planfile.c), from text to checked
 * changes.
 *
 * The input goes to tu_planfile_parse as it is: almost every input fails
 * (not JSON, not a plan file, or a checksum that does not match), and the
 * failure must say why. So that the member checks behind the checksum are
 * explored too, an input that is a JSON object is then sealed with a fresh
 * SHA-256 (tu_planfile_seal) and parsed again: if that succeeds, every
 * change must have what its action needs (in every resource's part of a
 * system's plan).
 */
#include "fuzz_target.h"
#include "state/planfile.h"

#include <string.h>

static void check_failed(int rc, const tu_error *err)
{
    if (rc == 0)
        return;
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_CHECK(err->message[0] != '\0');
}

static void check_changes(const tu_planfile *pf)
{
    for (size_t i = 0; i < pf->nparts; i++) {  /* a system's plan */
        FUZZ_CHECK(pf->part_names[i] != NULL);
        FUZZ_CHECK(pf->parts[i].nparts == 0);
        check_changes(&pf->parts[i]);
    }
    if (pf->nparts)
        return;
    FUZZ_CHECK(pf->target != NULL);
    FUZZ_CHECK(pf->shard_count == 0 ||
               (pf->shard_index >= 0 && pf->shard_index < pf->shard_count));
    for (size_t i = 0; i < pf->count; i++) {
        const tu_planfile_change *c = &pf->changes[i];
        FUZZ_CHECK(c->key != NULL);
        switch (c->action) {
        case TU_PLANFILE_CREATE:
            FUZZ_CHECK(c->desired && c->changes && !c->live);
            break;
        case TU_PLANFILE_UPDATE:
            FUZZ_CHECK(c->desired && c->changes && c->live);
            break;
        case TU_PLANFILE_DELETE:
            FUZZ_CHECK(c->live != NULL);
            break;
        case TU_PLANFILE_FAIL:
            FUZZ_CHECK(c->error != NULL);
            break;
        }
    }
}

static void parse(const char *text, size_t len)
{
    tu_planfile pf;
    tu_error err;
    int rc = tu_planfile_parse(text, len, "fuzz.json", NULL, &pf, &err);

    check_failed(rc, &err);
    if (rc == 0) {
        check_changes(&pf);
        tu_planfile_free(&pf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root;
    tu_error err;
    char *sealed;

    parse((const char *)data, size);
    root = json_loadb((const char *)data, size, 0, NULL);
    if (json_is_object(root) && tu_planfile_seal(root, NULL, &err) == 0) {
        sealed = json_dumps(root, JSON_COMPACT);
        if (sealed)
            parse(sealed, strlen(sealed));
        free(sealed);
    }
    json_decref(root);
    return 0;
}
