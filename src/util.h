/*
 * Shared helpers for guidebook: allocation that never returns NULL
 * (it aborts with a message, as mandoc_aux.c does), one growable
 * length-counted buffer, diagnostics in compiler form, and files written
 * atomically.
 */
#ifndef GUIDEBOOK_UTIL_H
#define GUIDEBOOK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define PROGNAME "guidebook"

/* Allocation: these print "guidebook: out of memory" and exit(3). */
void	 oom(void) __attribute__((noreturn));
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * A growable byte buffer.  ptr is always NUL-terminated once anything
 * was appended; len does not count the NUL.  Owned by whoever holds it;
 * buf_free releases the storage.
 */
struct buf {
	char	*ptr;
	size_t	 len;
	size_t	 cap;
};

void	 buf_grow(struct buf *, size_t);
void	 buf_put(struct buf *, const char *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, int);
void	 buf_vprintf(struct buf *, const char *, va_list);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_reset(struct buf *);
void	 buf_free(struct buf *);
/* Hand the storage to the caller (caller frees); the buffer is emptied. */
char	*buf_take(struct buf *);

#define BUF_LIT(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

/*
 * Diagnostics.  file may be NULL (no location), line and col 0 when
 * unknown.  Warnings become errors when diag_strict is set.  The
 * counters tell main.c which exit status to use.
 */
extern int	diag_strict;
extern FILE	*diag_file;	/* where messages go; NULL: stderr */
extern size_t	diag_errors;
extern size_t	diag_warnings;

void	diag_error(const char *file, int line, int col, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	diag_warn(const char *file, int line, int col, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/*
 * Diagnostics of work done on another thread are held back: between
 * diag_capture_begin and diag_capture_end, this thread's messages and
 * counts go to c instead; diag_capture_flush prints and counts them
 * (on the main thread, in a fixed order) and empties c.
 */
struct diag_capture {
	struct buf	 text;
	size_t		 errors;
	size_t		 warnings;
};

void	diag_capture_begin(struct diag_capture *c);
void	diag_capture_end(void);
void	diag_capture_flush(struct diag_capture *c);

/*
 * What a function returns, beside 0 and -1 (bad input, reported), when
 * the command line asked for something impossible (an output that
 * would replace an input): main.c exits with the usage status.
 */
#define RC_USAGE	(-2)

/* No input file may be larger than this. */
#define FILE_MAX ((size_t)16 * 1024 * 1024)

/*
 * Read a whole file into a NUL-terminated buffer (caller frees *out).
 * Returns 0, or -1 after a diagnostic.
 */
int	file_read(const char *path, char **out, size_t *len);

/*
 * Write len bytes to path atomically: a temporary file beside it,
 * renamed over the target only when complete, so that a reader sees
 * the old file or the new one, never a part (no fsync: a crash of the
 * machine may lose the new file, as with any build tool).  On failure
 * the previous file is untouched and no temporary file remains.  A
 * path that is not a regular file (a pipe, /dev/stdout) is written into.
 * Returns 0, or -1 after a diagnostic.
 */
int	file_write_atomic(const char *path, const void *data, size_t len);

/* Create a directory and its parents (like mkdir -p).  0 or -1. */
int	mkdir_p(const char *path);

/* Remove trailing newlines and surrounding blanks in place. */
char	*str_trim(char *);

/* Join a directory and a relative path ("a/b" + "c.md"); caller frees. */
char	*path_join(const char *dir, const char *rel);
/* The directory part of a path ("." when none); caller frees. */
char	*path_dir(const char *path);

/*
 * A copy of len bytes of s that XML can hold: each invalid UTF-8
 * sequence, NUL, control character (but tab, newline and carriage
 * return) and U+FFFE/U+FFFF becomes U+FFFD.  Returns the new,
 * NUL-terminated buffer (caller frees; *outlen its length) and reports
 * one warning per file, at the first bad byte, with the count.
 */
char	*utf8_sanitize(const char *file, const char *s, size_t len,
	    size_t *outlen);

/*
 * Decode one UTF-8 code point at s (len bytes available, valid UTF-8
 * assumed).  Stores the number of bytes used in *n.
 */
unsigned int	utf8_decode(const char *s, size_t len, size_t *n);

#endif
