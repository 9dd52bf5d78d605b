/* fuzz_desired.c -- desired-state loading, from YAML text to checked records.
 *
 * The input is a desired-state file. It goes through the YAML loader
 * (tu_yaml_load_string, nothing written to disk) and, when that succeeds,
 * through the public tu_desired_load_json: merging, the checks of every
 * top-level key and setting, the provider's target parsing, defaults,
 * `state`, key computation and duplicate detection. A failure must say
 * why; everything is freed. Secrets named by *_env keys are read from the
 * environment, as the CLI does: the fuzzer sets none, so those paths are
 * the "variable is not set" errors, and FUZZ_TOKEN (set below) the others.
 */
#include "fuzz_target.h"
#include "state/srcmap.h"
#include "state/yaml_load.h"
#include "trueup/trueup.h"

#include <string.h>

static void check_failed(const void *result, const tu_error *err)
{
    if (result)
        return;
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_CHECK(err->message[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int env_set;
    tu_srcmap *map;
    tu_error err;
    json_t *root;
    tu_desired *d;

    if (!env_set) {
        /* a secret the seeds name (token_env: FUZZ_TOKEN) */
        setenv("FUZZ_TOKEN", "fuzz-token-value", 1);
        env_set = 1;
    }
    map = tu_srcmap_new();
    FUZZ_CHECK(map != NULL);
    root = tu_yaml_load_string((const char *)data, size, "fuzz.yaml", map,
                               &err);
    check_failed(root, &err);
    if (root) {
        d = tu_desired_load_json(root, "fuzz.yaml", &err);
        check_failed(d, &err);
        if (d)
            (void)tu_desired_record_count(d);
        tu_desired_free(d);
        json_decref(root);
    }
    tu_srcmap_free(map);
    return 0;
}
