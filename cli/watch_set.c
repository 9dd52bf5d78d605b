/* watch_set.c -- trueup watch: a set's files, and noticing they changed.
 *
 * A set is one command-line argument: "[NAME=]FILE[,FILE...]" (files that
 * merge into one desired state, as plan and apply merge theirs) or
 * "[NAME=]DIR" (every *.yaml and *.yml file in DIR, by name, hidden ones
 * left out: a Kubernetes ConfigMap mounted as a directory). NAME, the
 * set's label in metrics and events, defaults to the argument.
 *
 * A change is seen by comparing stamps: the list of files and, for each,
 * what stat() says (device, inode, size, modification and change times),
 * through symbolic links, so that an editor's rename-over, a ConfigMap's
 * swapped "..data" link and an in-place write all count. inotify (Linux)
 * says when to look: the directories holding the files are watched, not
 * the files, whose inodes come and go. Where inotify is missing, the
 * caller stamps every second instead.
 */
#include "watch.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/inotify.h>
#endif

static int is_name(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.-", s[i]))
            return 0;
    return 1;
}

/* The comma-separated files of `list` into files->paths. 0 or -1. */
static int split_files(const char *arg, const char *list,
                       tu_watch_files *files)
{
    size_t n = 1;
    const char *p;

    for (p = list; *p; p++)
        n += *p == ',';
    files->paths = calloc(n, sizeof *files->paths);
    if (!files->paths)
        return -1;
    for (p = list; files->npaths < n; p++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            tu_cli_error("watch: '%s': an empty file name in the set (files "
                         "are separated by single commas)", arg);
            return -1;
        }
        if (!(files->paths[files->npaths++] = strndup(p, len)))
            return -1;
        p += len;
    }
    return 0;
}

int tu_watch_files_parse(const char *arg, tu_watch_files *files, char **name)
{
    const char *eq = strchr(arg, '='), *list = arg;
    struct stat st;

    memset(files, 0, sizeof *files);
    if (eq && is_name(arg, (size_t)(eq - arg)))
        list = eq + 1;
    *name = strndup(arg, list == arg ? strlen(arg) : (size_t)(eq - arg));
    if (!*name)
        return -1;
    if (!*list) {
        tu_cli_error("watch: '%s': no file after the set's name (give "
                     "NAME=FILE[,FILE...] or NAME=DIR)", arg);
        return -1;
    }
    if (!strchr(list, ',') && stat(list, &st) == 0 && S_ISDIR(st.st_mode))
        return (files->dir = strdup(list)) ? 0 : -1;
    return split_files(arg, list, files);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_yaml(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' &&
           ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
            (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static void free_paths(tu_watch_files *files)
{
    for (size_t i = 0; i < files->npaths; i++)
        free(files->paths[i]);
    free(files->paths);
    files->paths = NULL;
    files->npaths = 0;
}

/* List a directory set's YAML files again, sorted. 0 or -1 (memory); a
 * directory that cannot be read lists nothing (the load says why). */
static int list_dir(tu_watch_files *files)
{
    DIR *d = opendir(files->dir);
    struct dirent *e;
    size_t cap = 0;
    int rc = 0;

    free_paths(files);
    while (d && rc == 0 && (e = readdir(d)) != NULL) {
        size_t len;
        if (!is_yaml(e->d_name))
            continue;
        if (files->npaths == cap) {
            char **more = realloc(files->paths, (cap ? cap * 2 : 8) *
                                  sizeof *more);
            if (!more) {
                rc = -1;
                break;
            }
            files->paths = more;
            cap = cap ? cap * 2 : 8;
        }
        len = strlen(files->dir) + strlen(e->d_name) + 2;
        if (!(files->paths[files->npaths] = malloc(len)))
            rc = -1;
        else
            snprintf(files->paths[files->npaths++], len, "%s/%s",
                     files->dir, e->d_name);
    }
    if (d)
        closedir(d);
    if (files->npaths)
        qsort(files->paths, files->npaths, sizeof *files->paths, by_name);
    return rc;
}

int tu_watch_files_restamp(tu_watch_files *files)
{
    tu_buffer stamp = TU_BUFFER_INIT;
    int rc = 0, changed;

    if (files->dir && list_dir(files) != 0)
        return -1;
    for (size_t i = 0; i < files->npaths && rc == 0; i++) {
        struct stat st;
        char line[160];
        if (stat(files->paths[i], &st) != 0)
            snprintf(line, sizeof line, "\n-%d\n", errno);
        else
            snprintf(line, sizeof line, "\n%ju %ju %jd %jd.%09ld %jd.%09ld\n",
                     (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
                     (intmax_t)st.st_size, (intmax_t)st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec, (intmax_t)st.st_ctim.tv_sec,
                     st.st_ctim.tv_nsec);
        rc = tu_buffer_puts(&stamp, files->paths[i]) != 0 ||
             tu_buffer_puts(&stamp, line) != 0 ? -1 : 0;
    }
    if (rc == 0 && tu_buffer_puts(&stamp, "") != 0)
        rc = -1;
    if (rc != 0) {
        tu_buffer_free(&stamp);
        return -1;
    }
    changed = !files->stamp.data || strcmp(files->stamp.data, stamp.data);
    tu_buffer_free(&files->stamp);
    files->stamp = stamp;
    return changed;
}

void tu_watch_files_free(tu_watch_files *files)
{
    free_paths(files);
    free(files->dir);
    tu_buffer_free(&files->stamp);
    memset(files, 0, sizeof *files);
}

#ifdef __linux__
int tu_watch_inotify_open(void)
{
    return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

/* Watch the directory holding `path` (or `path` itself, a directory). */
static int watch_dir_of(int fd, const char *path, int is_dir)
{
    const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                          IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY;
    char *dir = strdup(path), *slash;
    int rc;

    if (!dir)
        return -1;
    slash = is_dir ? NULL : strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    rc = inotify_add_watch(fd, is_dir || slash ? dir : ".", mask) < 0 ? -1 : 0;
    free(dir);
    return rc;
}

int tu_watch_inotify_add(int fd, const tu_watch_files *files)
{
    if (files->dir)
        return watch_dir_of(fd, files->dir, 1);
    for (size_t i = 0; i < files->npaths; i++)
        if (watch_dir_of(fd, files->paths[i], 0) != 0)
            return -1;
    return 0;
}

void tu_watch_inotify_drain(int fd)
{
    char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(fd, events, sizeof events) > 0)
        ;
}
#else
int tu_watch_inotify_open(void) { return -1; }
int tu_watch_inotify_add(int fd, const tu_watch_files *files)
{
    (void)fd;
    (void)files;
    return -1;
}
void tu_watch_inotify_drain(int fd) { (void)fd; }
#endif
