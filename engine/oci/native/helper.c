// msbuild's OCI worker helper: the system calls Node lacks (mount, umount2, lgetxattr, lsetxattr,
// mknod), served to one Node process over stdin/stdout so each costs a round trip (~0.1 ms) instead
// of a spawned mount/umount/getfattr (~4 ms each).
//
// Request: NUL-terminated fields, the first their count: N\0OP\0ARG\0...\0
// Answer:  "0\n" (done), or "ERRNO message\n"; `xattrs` then lists lines of hex fields
//          "PATH NAME=VALUE ...\n" and ends with ".\n".
// Ops:
//   mount SOURCE TARGET FSTYPE FLAGS DATA CWD   mount(2); CWD ("" for none) is the directory relative
//                                               overlay lowerdirs are resolved from
//   umount TARGET FLAGS                         umount2(2)
//   xattrs ROOT                                 every entry under ROOT (not crossing mounts) with an
//                                               overlay or security.capability attribute
//   setxattr PATH NAME HEXVALUE                 lsetxattr(2)
//   mknod PATH MODE MAJOR MINOR                 mknod(2) (MODE with the file type bits)
//   du ROOT                                     "0 BLOCKBYTES CONTENTBYTES ENTRIES": disk use of the
//                                               tree (not crossing mounts) and its files' sizes
//   ping                                        nothing (checks the helper answers)
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_FIELDS 8
#define MAX_REQUEST (1 << 20)

static char request[MAX_REQUEST];

static void answer_error(int error, const char *what) {
  printf("%d %s: %s\n", error, what, strerror(error));
  fflush(stdout);
}

static void answer_ok(void) {
  fputs("0\n", stdout);
  fflush(stdout);
}

static void put_hex(const unsigned char *bytes, size_t length) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < length; i++) {
    putchar(digits[bytes[i] >> 4]);
    putchar(digits[bytes[i] & 15]);
  }
}

static int from_hex(const char *text, unsigned char *out, size_t capacity) {
  size_t length = strlen(text);
  if (length % 2 != 0 || length / 2 > capacity) return -1;
  for (size_t i = 0; i < length / 2; i++) {
    unsigned int byte;
    if (sscanf(text + 2 * i, "%2x", &byte) != 1) return -1;
    out[i] = (unsigned char)byte;
  }
  return (int)(length / 2);
}

static int interesting(const char *name) {
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
         strcmp(name, "security.capability") == 0;
}

static size_t root_length;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  char names[8192];
  ssize_t size = llistxattr(path, names, sizeof names);
  if (size <= 0) return 0;
  int printed = 0;
  for (char *name = names; name < names + size; name += strlen(name) + 1) {
    if (!interesting(name)) continue;
    unsigned char value[4096];
    ssize_t length = lgetxattr(path, name, value, sizeof value);
    if (length < 0) continue;
    if (!printed) {
      const char *relative = path + root_length;
      put_hex((const unsigned char *)relative, strlen(relative));
      printed = 1;
    }
    putchar(' ');
    put_hex((const unsigned char *)name, strlen(name));
    putchar('=');
    put_hex(value, (size_t)length);
  }
  if (printed) putchar('\n');
  return 0;
}

static unsigned long long disk_bytes, content_bytes, entries;

static int measure(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)path;
  (void)flag;
  if (ftw->level == 0) return 0;
  entries++;
  disk_bytes += (unsigned long long)st->st_blocks * 512;
  if (S_ISREG(st->st_mode)) content_bytes += (unsigned long long)st->st_size;
  return 0;
}

static void run(char **field, int count) {
  const char *op = field[0];
  if (strcmp(op, "ping") == 0) {
    answer_ok();
  } else if (strcmp(op, "mount") == 0 && count == 7) {
    unsigned long flags = strtoul(field[4], NULL, 10);
    if (field[6][0] != '\0' && chdir(field[6]) != 0) {
      answer_error(errno, "chdir");
      return;
    }
    int result = mount(field[1], field[2], field[3], flags, field[5][0] == '\0' ? NULL : field[5]);
    int error = errno;
    if (field[6][0] != '\0' && chdir("/") != 0) error = error ? error : errno;
    if (result != 0) answer_error(error, "mount");
    else answer_ok();
  } else if (strcmp(op, "umount") == 0 && count == 3) {
    if (umount2(field[1], (int)strtol(field[2], NULL, 10)) != 0) answer_error(errno, "umount");
    else answer_ok();
  } else if (strcmp(op, "xattrs") == 0 && count == 2) {
    struct stat st;
    if (lstat(field[1], &st) != 0) {
      answer_error(errno, "lstat");
      return;
    }
    answer_ok();
    root_length = strlen(field[1]);
    nftw(field[1], visit, 64, FTW_PHYS | FTW_MOUNT);
    fputs(".\n", stdout);
    fflush(stdout);
  } else if (strcmp(op, "du") == 0 && count == 2) {
    disk_bytes = content_bytes = entries = 0;
    if (nftw(field[1], measure, 64, FTW_PHYS | FTW_MOUNT) != 0) {
      answer_error(errno, "du");
      return;
    }
    printf("0 %llu %llu %llu\n", disk_bytes, content_bytes, entries);
    fflush(stdout);
  } else if (strcmp(op, "setxattr") == 0 && count == 4) {
    unsigned char value[4096];
    int length = from_hex(field[3], value, sizeof value);
    if (length < 0) answer_error(EINVAL, "setxattr value");
    else if (lsetxattr(field[1], field[2], value, (size_t)length, 0) != 0) answer_error(errno, "setxattr");
    else answer_ok();
  } else if (strcmp(op, "mknod") == 0 && count == 5) {
    mode_t mode = (mode_t)strtoul(field[2], NULL, 10);
    dev_t device = makedev(strtoul(field[3], NULL, 10), strtoul(field[4], NULL, 10));
    if (mknod(field[1], mode, device) != 0) answer_error(errno, "mknod");
    else answer_ok();
  } else {
    answer_error(EINVAL, op);
  }
}

int main(void) {
  for (;;) {
    // One request: its field count, then the fields (any of which may be empty).
    char *field[MAX_FIELDS];
    size_t used = 0, start = 0;
    long expected = -1;
    int count = 0;
    while (expected < 0 || count < expected) {
      int c = getchar();
      if (c == EOF) return 0;
      if (used + 1 >= MAX_REQUEST) return 2;
      request[used++] = (char)c;
      if (c != '\0') continue;
      if (expected < 0) {
        expected = strtol(request + start, NULL, 10);
        if (expected < 1 || expected > MAX_FIELDS) return 2;
      } else {
        field[count++] = request + start;
      }
      start = used;
    }
    run(field, count);
  }
}
