/*
 * Images of the book: a local image a chapter shows (Markdown or raw
 * HTML) is registered once, with its media type read from its first
 * bytes, and packaged in the EPUB under images/.  guidebook never
 * fetches a remote image.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"

/* The media type of the first n bytes of an image, or NULL. */
static const char *
sniff(const unsigned char *p, size_t n)
{
	const unsigned char	*s, *end = p + n;

	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return "image/jpeg";
	if (n >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "image/gif";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	    memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	/* SVG: text whose first element is svg (after a declaration,
	 * comments or a doctype). */
	for (s = p; s < end; ) {
		while (s < end && isspace(*s))
			s++;
		if (end - s >= 4 && memcmp(s, "<svg", 4) == 0)
			return "image/svg+xml";
		if (end - s < 2 || *s != '<' || (s[1] != '?' && s[1] != '!'))
			break;
		while (s < end && *s != '>')
			s++;
		s++;
	}
	return NULL;
}

/* The first bytes of a file, for sniff().  -1 if it cannot be read. */
static ssize_t
head(const char *path, unsigned char *buf, size_t n)
{
	ssize_t	 got;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY)) == -1)
		return -1;
	got = read(fd, buf, n);
	close(fd);
	return got;
}

static int
name_taken(const struct book *b, const char *name)
{
	size_t	 i;

	for (i = 0; i < b->nimages; i++)
		if (strcmp(b->images[i]->name, name) == 0)
			return 1;
	return 0;
}

/*
 * images/ and the path, in the characters an EPUB name may hold; two
 * paths that clean up to one name: the later gets -2, -3 before its
 * extension.  Caller frees.
 */
static char *
epub_name(const struct book *b, const char *rel)
{
	struct buf	 n = { NULL, 0, 0 };
	const char	*s, *dot;
	char		*clean, *name;
	size_t		 k;

	for (s = rel; *s != '\0'; s++)
		buf_putc(&n, isalnum((unsigned char)*s) || strchr("._-/", *s) ?
		    *s : '_');
	clean = buf_take(&n);
	dot = strrchr(clean, '.');
	if (dot == NULL || strchr(dot, '/') != NULL)
		dot = clean + strlen(clean);
	name = xasprintf("images/%s", clean);
	for (k = 2; name_taken(b, name); k++) {
		free(name);
		name = xasprintf("images/%.*s-%zu%s", (int)(dot - clean), clean,
		    k, dot);
	}
	free(clean);
	return name;
}

const struct image *
image_find(struct book *b, const struct doc *d, const char *url, int line,
    int col)
{
	unsigned char	 buf[512];
	struct image	*im;
	struct stat	 st;
	const char	*type;
	char		*path, *dir, *rel, *file, *name;
	ssize_t		 n;
	size_t		 i;

	path = pct_decode(url, strcspn(url, "?#"));
	dir = path_dir(d->rel ? d->rel : "");
	rel = path_normalize(dir, path);
	free(dir);
	file = rel ? path_join(b->dir, rel) : NULL;
	for (i = 0; rel != NULL && i < b->nimages; i++)
		if (strcmp(b->images[i]->path, file) == 0) {
			free(path);
			free(rel);
			free(file);
			return b->images[i];
		}
	type = NULL;
	if (rel != NULL && (stat(file, &st) == -1 || !S_ISREG(st.st_mode)))
		diag_warn(d->path, line, col, "image '%s' not found; its "
		    "description is shown", path);
	else if (rel == NULL || !inside_dir(b->dir, file))
		diag_warn(d->path, line, col, "image '%s' is outside the "
		    "book; its description is shown", path);
	else if ((size_t)st.st_size > FILE_MAX)
		diag_warn(d->path, line, col, "image '%s' is larger than "
		    "%zu MB; its description is shown", path,
		    (size_t)FILE_MAX >> 20);
	else if ((n = head(file, buf, sizeof(buf))) < 0 ||
	    (type = sniff(buf, (size_t)n)) == NULL)
		diag_warn(d->path, line, col, "image '%s' is not PNG, JPEG, "
		    "GIF, WebP or SVG; its description is shown", path);
	free(path);
	if (type == NULL) {
		free(rel);
		free(file);
		return NULL;
	}
	name = epub_name(b, rel);
	b->images = xreallocarray(b->images, b->nimages + 1,
	    sizeof(*b->images));
	im = b->images[b->nimages++] = xcalloc(1, sizeof(*im));
	im->path = file;
	im->name = name;
	im->id = xasprintf("image-%zu", b->nimages);
	im->type = type;
	free(rel);
	return im;
}

void
image_free(struct image *im)
{
	free(im->path);
	free(im->name);
	free(im->id);
	free(im);
}
