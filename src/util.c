/*
 * Allocation wrappers, the growable buffer, diagnostics, atomic file
 * output and small path and UTF-8 helpers shared by every module.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int	diag_strict;
FILE	*diag_file;
size_t	diag_errors;
size_t	diag_warnings;

void
oom(void)
{
	fputs(PROGNAME ": out of memory\n", stderr);
	exit(3);
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		oom();
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void	*p;

	if ((p = realloc(old, n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom();
	return xrealloc(old, n * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct buf	 b = { NULL, 0, 0 };
	va_list		 ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);	/* allocates even for "" */
	va_end(ap);
	return b.ptr;
}

void
buf_grow(struct buf *b, size_t need)
{
	size_t	 cap;

	if (b->len + need + 1 <= b->cap)
		return;
	if (need > SIZE_MAX / 2 - b->len)
		oom();
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + need + 1)
		cap *= 2;
	b->ptr = xrealloc(b->ptr, cap);
	b->cap = cap;
}

void
buf_put(struct buf *b, const char *s, size_t n)
{
	/* Room for n bytes and the NUL: no call on the common path. */
	if (n >= b->cap - b->len)
		buf_grow(b, n);
	if (n)
		memcpy(b->ptr + b->len, s, n);
	b->len += n;
	b->ptr[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

void
buf_putc(struct buf *b, int c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->ptr[b->len++] = (char)c;
	b->ptr[b->len] = '\0';
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 aq;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		oom();
	buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *
buf_take(struct buf *b)
{
	char	*p;

	p = b->ptr ? b->ptr : xstrdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

/*
 * A job on a pool thread writes its diagnostics into its own capture
 * (see diag_capture_begin); everyone else writes to diag_file.
 */
static __thread struct diag_capture	*capture;

void
diag_capture_begin(struct diag_capture *c)
{
	memset(c, 0, sizeof(*c));
	capture = c;
}

void
diag_capture_end(void)
{
	capture = NULL;
}

void
diag_capture_flush(struct diag_capture *c)
{
	FILE	*f = diag_file ? diag_file : stderr;

	if (c->text.len > 0)
		fwrite(c->text.ptr, 1, c->text.len, f);
	diag_errors += c->errors;
	diag_warnings += c->warnings;
	buf_free(&c->text);
	c->errors = c->warnings = 0;
}

/* Print one diagnostic and count it as an error or a warning. */
static void
diag(int error, const char *file, int line, int col, const char *fmt,
    va_list ap)
{
	struct buf	 b = { NULL, 0, 0 };

	/* The whole line at once: lines of two threads never mix. */
	BUF_LIT(&b, PROGNAME ": ");
	if (file != NULL) {
		buf_puts(&b, file);
		if (line > 0) {
			buf_printf(&b, ":%d", line);
			if (col > 0)
				buf_printf(&b, ":%d", col);
		}
		BUF_LIT(&b, ": ");
	}
	buf_puts(&b, error ? "error: " : "warning: ");
	buf_vprintf(&b, fmt, ap);
	buf_putc(&b, '\n');
	if (capture != NULL) {
		buf_put(&capture->text, b.ptr, b.len);
		if (error)
			capture->errors++;
		else
			capture->warnings++;
	} else {
		fwrite(b.ptr, 1, b.len, diag_file ? diag_file : stderr);
		if (error)
			diag_errors++;
		else
			diag_warnings++;
	}
	buf_free(&b);
}

void
diag_error(const char *file, int line, int col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag(1, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_warn(const char *file, int line, int col, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag(diag_strict, file, line, col, fmt, ap);
	va_end(ap);
}


int
file_read(const char *path, char **out, size_t *outlen)
{
	struct buf	 b = { NULL, 0, 0 };
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*out = NULL;
	*outlen = 0;
	/* Non-blocking: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY)) == -1) {
		diag_error(path, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		diag_error(path, 0, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(path, 0, 0, S_ISDIR(st.st_mode) ? "a directory, not "
		    "a file" : "not a regular file");
		close(fd);
		return -1;
	}
	buf_grow(&b, (size_t)st.st_size + 1);
	for (;;) {
		buf_grow(&b, 65536);
		n = read(fd, b.ptr + b.len, b.cap - b.len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			diag_error(path, 0, 0, "cannot read: %s",
			    strerror(errno));
			close(fd);
			buf_free(&b);
			return -1;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > FILE_MAX) {
			diag_error(path, 0, 0, "file larger than %zu MB",
			    (size_t)FILE_MAX >> 20);
			close(fd);
			buf_free(&b);
			return -1;
		}
	}
	close(fd);
	b.ptr[b.len] = '\0';
	*outlen = b.len;
	*out = b.ptr;
	return 0;
}

/* Write all of data to fd; 0 or -1 with errno set. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Not a regular file (standard output, a pipe, a device): there is
 * nothing to replace atomically, so write straight into it.
 */
static int
write_special(const char *path, const void *data, size_t len)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1) {
		diag_error(path, 0, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (write_all(fd, data, len) == -1) {
		diag_error(path, 0, 0, "cannot write: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		diag_error(path, 0, 0, "cannot write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
file_write_atomic(const char *target, const void *data, size_t len)
{
	struct stat	 st;
	char		*dir, *base, *tmp, *real = NULL;
	const char	*path = target;
	mode_t		 mask;
	int		 fd, rc = -1;

	if (stat(target, &st) == 0 && !S_ISREG(st.st_mode))
		return write_special(target, data, len);
	/* Through a symbolic link: replace the file, keep the link. */
	if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (real = realpath(target, NULL)) != NULL)
		path = real;
	dir = path_dir(path);
	base = strrchr(path, '/');
	base = base ? base + 1 : (char *)path;
	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	if ((fd = mkstemp(tmp)) == -1) {
		diag_error(target, 0, 0, "cannot create: %s", strerror(errno));
		goto out;
	}
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1) {
		diag_error(target, 0, 0, "cannot chmod: %s", strerror(errno));
		goto fail;
	}
	if (write_all(fd, data, len) == -1) {
		diag_error(target, 0, 0, "cannot write: %s", strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		diag_error(target, 0, 0, "cannot write: %s", strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		diag_error(target, 0, 0, "cannot rename: %s", strerror(errno));
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	free(real);
	return rc;
}

int
mkdir_p(const char *path)
{
	char	*p, *s;
	int	 rc = 0;

	p = xstrdup(path);
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char save = *s;
		*s = '\0';
		if (mkdir(p, 0777) == -1 && errno != EEXIST) {
			diag_error(p, 0, 0, "cannot create directory: %s",
			    strerror(errno));
			rc = -1;
			break;
		}
		*s = save;
		if (save == '\0')
			break;
	}
	free(p);
	return rc;
}

char *
str_trim(char *s)
{
	size_t	 n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

char *
path_join(const char *dir, const char *rel)
{
	if (rel[0] == '/' || dir[0] == '\0' || strcmp(dir, ".") == 0)
		return xstrdup(rel);
	return xasprintf("%s/%s", dir, rel);
}

char *
path_dir(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Length of the valid UTF-8 sequence at s, or 0 when invalid. */
static size_t
utf8_valid(const unsigned char *s, size_t len)
{
	unsigned int	 c = s[0];
	size_t		 n, i;

	if (c < 0x80)
		return c == 0 ? 0 : 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if (c == 0xE0 && s[1] < 0xA0)		/* overlong */
		return 0;
	if (c == 0xED && s[1] >= 0xA0)		/* surrogate */
		return 0;
	if (c == 0xF0 && s[1] < 0x90)		/* overlong */
		return 0;
	if (c == 0xF4 && s[1] >= 0x90)		/* above U+10FFFF */
		return 0;
	return n;
}

/*
 * Where the character at offset off of s is, for a message: line and
 * column (in characters).  Everything before off is valid UTF-8.
 */
static void
utf8_where(const char *s, size_t off, int *line, int *col)
{
	size_t	 i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++)
		if (s[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xC0) != 0x80)
			++*col;		/* not a continuation byte */
}

/*
 * Are the 8 bytes at p all in 0x20-0x7F?  A byte below 0x20 borrows
 * into its own high bit; one above 0x7F has it set already.  The first
 * borrow comes from the lowest such byte, so the answer is exact.
 */
static int
ascii8(const unsigned char *p)
{
	uint64_t	 x;

	memcpy(&x, p, sizeof(x));
	return ((x | (x - 0x2020202020202020ULL)) &
	    0x8080808080808080ULL) == 0;
}

/* Valid text is copied a run at a time, not a character at a time. */
char *
utf8_sanitize(const char *file, const char *s, size_t len, size_t *outlen)
{
	const unsigned char	*u = (const unsigned char *)s;
	struct buf		 b = { NULL, 0, 0 };
	size_t			 i = 0, start, n, bad = 0;
	int			 bline = 0, bcol = 0;

	buf_grow(&b, len);
	while (i < len) {
		for (start = i; i < len; i += n) {
			if (len - i >= 8 && ascii8(u + i)) {
				n = 8;
				continue;
			}
			if (u[i] >= 0x20 && u[i] < 0x80) {
				n = 1;
				continue;
			}
			n = utf8_valid(u + i, len - i);
			if (n == 1 && u[i] != '\t' && u[i] != '\n' &&
			    u[i] != '\r')
				break;	/* control characters are not XML */
			if (n == 3 && u[i] == 0xEF && u[i + 1] == 0xBF &&
			    u[i + 2] >= 0xBE)
				break;	/* U+FFFE and U+FFFF are not XML */
			if (n == 0)
				break;
		}
		buf_put(&b, s + start, i - start);
		if (i == len)
			break;
		if (bad++ == 0)
			utf8_where(s, i, &bline, &bcol);
		BUF_LIT(&b, "\xEF\xBF\xBD");
		i++;
	}
	if (bad)
		diag_warn(file, bline, bcol, "invalid UTF-8, NUL or control byte "
		    "replaced by U+FFFD (%zu in this file)", bad);
	b.ptr[b.len] = '\0';
	*outlen = b.len;
	return b.ptr;
}

unsigned int
utf8_decode(const char *s, size_t len, size_t *n)
{
	const unsigned char	*u = (const unsigned char *)s;

	if (u[0] < 0x80 || len < 2) {
		*n = 1;
		return u[0];
	}
	if (u[0] < 0xE0) {
		*n = 2;
		return ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
	}
	if (u[0] < 0xF0 || len < 4) {
		*n = len < 3 ? len : 3;
		if (len < 3)
			return 0xFFFD;
		return ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) |
		    (u[2] & 0x3Fu);
	}
	*n = 4;
	return ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) |
	    ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
}
