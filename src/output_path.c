#define _POSIX_C_SOURCE 200809L

#include "svhn/output_path.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        strcpy(folder, ".");
    } else if (slash == path) {
        strcpy(folder, "/");
    } else {
        size_t length = (size_t)(slash - path);
        if (length >= sizeof folder) {
            error_set(error, "%s: the %s path is too long", path, what);
            return -1;
        }
        memcpy(folder, path, length);
        folder[length] = '\0';
    }

    if (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode)) {
        error_set(error, "%s: the folder of the %s, %s, does not exist", path, what, folder);
        return -1;
    }
    // access() reports EROFS for a read-only file system even for root.
    if (access(folder, W_OK) != 0) {
        error_set(error, "%s: the folder of the %s, %s, is not writable: %s", path, what,
                  folder, strerror(errno));
        return -1;
    }
    return 0;
}
