// Puts a fuzzer input into a file that path-based readers can open. The
// file is a memfd, so no disk is touched, and its path is
// /proc/self/fd/N, which fopen, gzopen and matio open like any file.

#ifndef SVHN_FUZZ_INPUT_FILE_H
#define SVHN_FUZZ_INPUT_FILE_H

#define _GNU_SOURCE

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct {
    int fd;
    char path[64];
} FuzzInputFile;

// Creates the memfd once per file slot. Aborts when memfd_create fails,
// because a harness without its file would only test the missing-file path.
static inline void fuzz_input_file_open(FuzzInputFile *file, const char *name)
{
    file->fd = memfd_create(name, 0);
    if (file->fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(file->path, sizeof file->path, "/proc/self/fd/%d", file->fd);
}

// Replaces the file's contents with `size` bytes of `data`.
static inline void fuzz_input_file_write(FuzzInputFile *file, const uint8_t *data, size_t size)
{
    if (ftruncate(file->fd, 0) != 0) {
        perror("ftruncate");
        abort();
    }
    size_t done = 0;
    while (done < size) {
        ssize_t written = pwrite(file->fd, data + done, size - done, (off_t)done);
        if (written <= 0) {
            perror("pwrite");
            abort();
        }
        done += (size_t)written;
    }
}

#endif
