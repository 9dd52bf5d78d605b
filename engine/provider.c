/* provider.c -- the table of providers (see provider.h).
 *
 * The providers are listed once, in providers/providers.def, by the name
 * of their file; the tables and the names users write both come from that
 * list. Adding a provider: write providers/NAME.c with a tu_provider_ops
 * called tu_provider_NAME, and add a line to the list.
 *
 * The registry sits above the providers: the code that loads a target
 * (engine/run_config.c) finds its provider here (tu_provider_of) and hands
 * it to tu_target_parse, so that target.c, whose helpers the providers
 * call, never refers back to the list of providers.
 */
#include "provider.h"
#include "state/error.h"
#include "state/schema.h"

#include <string.h>

#define TU_PROVIDER(name) extern const tu_provider_ops tu_provider_##name;
#include "providers/providers.def"
#undef TU_PROVIDER

#define TU_PROVIDER(name) &tu_provider_##name,
static const tu_provider_ops *const providers[] = {
#include "providers/providers.def"
    NULL};
#undef TU_PROVIDER

/* The names users write: each file's NAME, which is also its table's
 * .name (test_rest_config checks that they agree). */
#define TU_PROVIDER(name) #name,
static const char *const provider_names[] = {
#include "providers/providers.def"
    NULL};
#undef TU_PROVIDER

const tu_provider_ops *tu_provider_find(const char *name)
{
    for (size_t i = 0; providers[i]; i++) {
        if (strcmp(providers[i]->name, name) == 0)
            return providers[i];
    }
    return NULL;
}

const char *const *tu_provider_names(void)
{
    return provider_names;
}

const tu_provider_ops *tu_provider_of(const json_t *target,
                                      const tu_srcmap *map, tu_error *err)
{
    int index = 0;

    if (!json_object_get(target, "provider")) {
        tu_error_at(err, tu_srcmap_get(map, target), "target: missing "
                    "'provider' (for a generic REST API: provider: rest)");
        return NULL;
    }
    if (tu_schema_enum(target, "provider", provider_names, map, "target",
                       &index, err) < 0)
        return NULL;
    return tu_provider_find(provider_names[index]);
}
