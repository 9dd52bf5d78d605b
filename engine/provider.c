/* provider.c -- the table of providers (see provider.h).
 *
 * Adding a provider: write provider_NAME.c with a tu_provider_ops, declare
 * it below, and add it to both tables.
 */
#include "provider.h"

#include <string.h>

extern const tu_provider_ops tu_provider_rest;
extern const tu_provider_ops tu_provider_powerdns;

static const tu_provider_ops *const providers[] = {&tu_provider_rest,
                                                  &tu_provider_powerdns, NULL};
static const char *const provider_names[] = {"rest", "powerdns",
                                              NULL};

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
