#define _XOPEN_SOURCE 700

#include "svhn/output_path.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// Writes the folder part of `path` to folder (PATH_MAX bytes): "." for a
// bare name and "/" for a name in the root. Returns -1 when it is too long.
static int folder_of(const char *path, char *folder)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(folder, ".");
    } else if (slash == path) {
        strcpy(folder, "/");
    } else if ((size_t)(slash - path) < PATH_MAX) {
        memcpy(folder, path, (size_t)(slash - path));
        folder[slash - path] = '\0';
    } else {
        return -1;
    }
    return 0;
}

int output_path_check(const char *path, const char *what, Error *error)
{
    if (path == NULL || path[0] == '\0') {
        error_set(error, "the %s path is empty", what);
        return -1;
    }

    struct stat info;
    if (lstat(path, &info) == 0 && !S_ISREG(info.st_mode)) {
        error_set(error, "%s: the %s exists and is not a regular file (it is replaced by "
                  "renaming); give the path of a regular file or a new one", path, what);
        return -1;
    }

    char folder[PATH_MAX];
    if (folder_of(path, folder) != 0) {
        error_set(error, "%s: the %s path is too long", path, what);
        return -1;
    }
    if (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode)) {
        error_set(error, "%s: the folder of the %s, %s, does not exist", path, what, folder);
        return -1;
    }
    return 0;
}

int output_path_check_creatable(const char *path, const char *what, Error *error)
{
    if (output_path_check(path, what, error) != 0) {
        return -1;
    }

    // Creating the temporary file is the only sure test: access() lets root
    // pass on folders such as /proc where no file can be created.
    char temp_path[PATH_MAX];
    int fd = output_path_create_temp(path, what, temp_path, sizeof temp_path, error);
    if (fd < 0) {
        return -1;
    }
    close(fd);
    remove(temp_path);
    return 0;
}

int output_path_create_temp(const char *path, const char *what, char *temp_path,
                            size_t temp_size, Error *error)
{
    if (snprintf(temp_path, temp_size, "%s.tmp.XXXXXX", path) >= (int)temp_size) {
        error_set(error, "%s: the %s path is too long", path, what);
        return -1;
    }
    int fd = mkstemp(temp_path);
    if (fd < 0) {
        error_set(error, "%s: cannot create a temporary %s %s: %s", path, what, temp_path,
                  strerror(errno));
        return -1;
    }

    // umask can only be read by setting it, so it is set back at once.
    const mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        error_set(error, "%s: cannot set the permissions of %s: %s", path, temp_path,
                  strerror(errno));
        close(fd);
        remove(temp_path);
        return -1;
    }
    return fd;
}

// Writes the folder of `path`, resolved by realpath, then '/' and the last
// component of `path` to canonical (PATH_MAX bytes). Returns -1 when the
// folder cannot be resolved.
static int canonical_path(const char *path, char *canonical)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    char folder[PATH_MAX];
    char resolved[PATH_MAX];
    if (folder_of(path, folder) != 0 || realpath(folder, resolved) == NULL ||
        snprintf(canonical, PATH_MAX, "%s/%s", resolved, name) >= PATH_MAX) {
        return -1;
    }
    return 0;
}

int output_paths_same(const char *a, const char *b)
{
    struct stat info_a;
    struct stat info_b;
    if (stat(a, &info_a) == 0 && stat(b, &info_b) == 0) {
        return info_a.st_dev == info_b.st_dev && info_a.st_ino == info_b.st_ino;
    }

    char canonical_a[PATH_MAX];
    char canonical_b[PATH_MAX];
    if (canonical_path(a, canonical_a) != 0 || canonical_path(b, canonical_b) != 0) {
        return strcmp(a, b) == 0;
    }
    return strcmp(canonical_a, canonical_b) == 0;
}
