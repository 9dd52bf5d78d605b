/* memory.c -- tu_free: the one way to free what the library hands over.
 *
 * Text the public API returns (an export, a report's JSON text) is
 * malloc'd by the library's C runtime; a program frees it here, where it
 * was allocated, instead of with its own free() (include/trueup/trueup.h).
 */
#include "trueup/trueup.h"

#include <stdlib.h>

void tu_free(void *text)
{
    free(text);
}
