/* powerdns_zone.c -- the PowerDNS provider's zones (powerdns.h): which of
 * target.zones holds a name, and the API URL of a zone, for the fetch,
 * the push, the normalising of names and --shard.
 */
#include "engine/providers/powerdns.h"
#include "engine/providers/dns_name.h"
#include "engine/target.h"
#include "engine/urltemplate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The zone (index) an absolute name belongs to: the longest that holds it;
 * -1 when none does. */
long tu_pdns_zone_index(const pdns_cfg *c, const char *name)
{
    long best = -1;
    for (size_t i = 0; i < c->nzones; i++) {
        if (tu_dns_in_zone(name, c->zones[i]) &&
            (best < 0 || strlen(c->zones[i]) > strlen(c->zones[best])))
            best = (long)i;
    }
    return best;
}

/* {base_url}/servers/{server}/zones/{zone}; malloc'd or NULL. */
char *tu_pdns_zone_url(const tu_target *t, const char *zone)
{
    const pdns_cfg *c = t->cfg;
    char *server = tu_percent_encode(c->server, strlen(c->server));
    char *z = tu_percent_encode(zone, strlen(zone));
    char *path = NULL, *url = NULL;
    size_t len;

    if (server && z) {
        len = strlen(server) + strlen(z) + sizeof "/servers//zones/";
        if ((path = malloc(len)) != NULL) {
            snprintf(path, len, "/servers/%s/zones/%s", server, z);
            url = tu_target_url(t, path);
        }
    }
    free(server);
    free(z);
    free(path);
    return url;
}

