/* txt_registry.c -- the names and contents of ownership TXT records (see
 * txt_registry.h). Pure string work: the PowerDNS provider reads and
 * writes them (powerdns_fetch.c, powerdns_push.c).
 */
#include "engine/providers/txt_registry.h"
#include "util/buffer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_TEMPLATE "%{record_type}"

/* Append `type` in lower case. 0 or -1. */
static int put_type(tu_buffer *b, const char *type)
{
    for (; *type; type++) {
        char c = (char)tolower((unsigned char)*type);
        if (tu_buffer_add(b, &c, 1) != 0)
            return -1;
    }
    return 0;
}

/* Append `prefix` with each %{record_type} replaced. 0 or -1. */
static int put_prefix(tu_buffer *b, const char *prefix, const char *type)
{
    const char *at;
    size_t tlen = strlen(TYPE_TEMPLATE);

    while ((at = strstr(prefix, TYPE_TEMPLATE)) != NULL) {
        if (tu_buffer_add(b, prefix, (size_t)(at - prefix)) != 0 ||
            put_type(b, type) != 0)
            return -1;
        prefix = at + tlen;
    }
    return tu_buffer_puts(b, prefix);
}

/* The length of the first label of `name` (up to its first unescaped
 * dot). */
static size_t first_label(const char *name)
{
    size_t i = 0;
    while (name[i] && name[i] != '.')
        i += name[i] == '\\' && name[i + 1] ? 2 : 1;
    return i;
}

char *tu_txt_registry_name(const char *prefix, const char *wildcard,
                           const char *name, const char *type)
{
    tu_buffer b = TU_BUFFER_INIT;
    size_t head = first_label(name);
    int star = head == 1 && name[0] == '*';

    if (put_prefix(&b, prefix, type) != 0 ||
        (!strstr(prefix, TYPE_TEMPLATE) &&
         (put_type(&b, type) != 0 || tu_buffer_puts(&b, "-") != 0)) ||
        (star ? tu_buffer_puts(&b, wildcard)
              : tu_buffer_add(&b, name, head)) != 0 ||
        tu_buffer_puts(&b, name + head) != 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}

char *tu_txt_registry_content(const char *owner)
{
    tu_buffer b = TU_BUFFER_INIT;
    if (tu_buffer_puts(&b, "\"" TU_TXT_REGISTRY_HERITAGE) != 0 ||
        tu_buffer_puts(&b, owner) != 0 || tu_buffer_puts(&b, "\"") != 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}

char *tu_txt_registry_owner(const char *content)
{
    size_t plen = strlen(TU_TXT_REGISTRY_HERITAGE), len;
    const char *id;

    if (content[0] != '"' ||
        strncmp(content + 1, TU_TXT_REGISTRY_HERITAGE, plen) != 0)
        return NULL;
    id = content + 1 + plen;
    len = strcspn(id, "\",");
    if (len == 0 || id[len] == '\0')
        return NULL;
    return strndup(id, len);
}

const char *tu_txt_registry_prefix_problem(const char *prefix)
{
    if (strchr(prefix, '*'))
        return "holds a '*'; a prefix is part of a DNS name";
    if (!*prefix)
        return "is empty: the marks would have the names of the records "
               "they mark (write _trueup-%{record_type}., the default)";
    for (const char *p = prefix; *p; p++) {
        if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
            return "holds a character other than printable ASCII (write an "
                   "A-label, xn--...)";
    }
    if (strpbrk(prefix, " \t\"\\"))
        return "holds a blank, a quote or a backslash; a prefix is part of "
               "a DNS name";
    if (prefix[0] == '.' || strstr(prefix, ".."))
        return "would make an empty label (a leading dot, or two dots)";
    return NULL;
}
