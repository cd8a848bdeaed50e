/*
 * Paths and links: percent-decoding, relative paths inside the book,
 * URL schemes, and the resolution of every link of a document to an
 * external URL, a document of the book (and a heading in it), or text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode %XX escapes; caller frees.  Invalid escapes stay as written. */
char *
pct_decode(const char *s, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;
	int		 h, l;

	buf_grow(&b, n);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0 &&
		    (h || l)) {
			buf_putc(&b, h * 16 + l);
			i += 2;
		} else
			buf_putc(&b, s[i]);
	}
	if (b.len == 0)
		b.ptr[0] = '\0';
	return buf_take(&b);
}

/*
 * Normalise a relative path joined to a base directory ("" for the top):
 * drop "." and empty segments, apply "..".  Returns NULL when the path
 * climbs out of the top.  Caller frees.
 */
char *
path_normalize(const char *base, const char *rel)
{
	struct buf	 b = { NULL, 0, 0 };
	char		*joined, *seg, *next;
	char		**segs = NULL;
	size_t		 n = 0, i;
	int		 bad = 0;

	if (*base == '\0' || strcmp(base, ".") == 0)
		joined = xstrdup(rel);
	else
		joined = xasprintf("%s/%s", base, rel);
	segs = xreallocarray(NULL, strlen(joined) + 1, sizeof(*segs));
	for (seg = joined; seg != NULL; seg = next) {
		if ((next = strchr(seg, '/')) != NULL)
			*next++ = '\0';
		if (*seg == '\0' || strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (n == 0) {
				bad = 1;
				break;
			}
			n--;
			continue;
		}
		segs[n++] = seg;
	}
	for (i = 0; !bad && i < n; i++) {
		if (i)
			buf_putc(&b, '/');
		buf_puts(&b, segs[i]);
	}
	free(segs);
	free(joined);
	if (bad || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* Does url start with a scheme ("http:")?  Sets *len to its length. */
int
url_scheme(const char *url, size_t *len)
{
	const char	*s = url;

	if (!isalpha((unsigned char)*s))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' ||
	    *s == '.')
		s++;
	if (*s != ':')
		return 0;
	*len = (size_t)(s - url);
	return 1;
}

static int
scheme_safe(const char *url, size_t len)
{
	static const char *const safe[] = { "http", "https", "mailto",
	    "ftp", NULL };
	size_t	 i;

	for (i = 0; safe[i] != NULL; i++)
		if (strlen(safe[i]) == len &&
		    strncasecmp(url, safe[i], len) == 0)
			return 1;
	return 0;
}

static const struct heading *
doc_find_id(const struct doc *d, const char *id)
{
	size_t	 i;

	for (i = 0; i < d->nheads; i++)
		if (strcmp(d->heads[i].id, id) == 0)
			return &d->heads[i];
	return NULL;
}

/* The document at rel (normalised, relative to the index), or NULL. */
struct doc *
book_find_doc(struct book *b, const char *rel)
{
	size_t	 i;

	if (b->index.rel != NULL && strcmp(b->index.rel, rel) == 0)
		return &b->index;
	for (i = 0; i < b->nchapters; i++)
		if (strcmp(b->chapters[i].rel, rel) == 0)
			return &b->chapters[i];
	return NULL;
}

static void
see_also_add(struct doc *from, const struct doc *to)
{
	size_t	 i;

	if (to == from || to->number == 0)
		return;
	for (i = 0; i < from->nsee_also; i++)
		if (from->see_also[i] == to)
			return;
	from->see_also = xreallocarray(from->see_also, from->nsee_also + 1,
	    sizeof(*from->see_also));
	from->see_also[from->nsee_also++] = to;
}

/* Resolve one link or image node of document d. */
static void
resolve_link(struct book *b, struct doc *d, struct link *l)
{
	const char	*url = l->url, *hash;
	char		*dir, *path, *rel, *frag;
	size_t		 slen, plen;
	int		 line = l->line, col = l->col, image = l->image;

	if (*url == '\0')
		return;

	if (url_scheme(url, &slen)) {
		if (scheme_safe(url, slen) && !image)
			l->kind = LINK_EXTERNAL;
		else if (image)
			diag_warn(d->path, line, col, "remote image '%s' "
			    "not included; its description is shown", url);
		else
			diag_warn(d->path, line, col, "unsafe URL '%.*s:...' "
			    "dropped", (int)slen, url);
		return;
	}
	if (url[0] == '/' || (url[0] == '\\')) {
		if (b->standalone)
			l->kind = LINK_KEEP;
		else
			diag_warn(d->path, line, col, "link target '%s' is "
			    "an absolute path outside the book", url);
		return;
	}
	if (image) {
		/* Local images are not packaged: alt text stands in. */
		diag_warn(d->path, line, col, "image '%s' not included; its "
		    "description is shown", url);
		return;
	}

	hash = strchr(url, '#');
	plen = hash ? (size_t)(hash - url) : strlen(url);
	frag = hash ? pct_decode(hash + 1, strlen(hash + 1)) : NULL;
	if (plen == 0) {
		/* "#id": this document. */
		if ((l->heading = doc_find_id(d, frag)) != NULL) {
			l->kind = LINK_DOC;
			l->doc = d;
		} else
			diag_warn(d->path, line, col, "link target '#%s' not "
			    "found in this document", frag);
		free(frag);
		return;
	}
	if (b->standalone) {
		l->kind = LINK_KEEP;
		free(frag);
		return;
	}
	path = pct_decode(url, strcspn(url, "?#"));
	dir = path_dir(d->rel);
	rel = path_normalize(dir, path);
	/*
	 * The index's links to chapters it could not load were judged
	 * when it was read; resolving them again would repeat a message.
	 */
	if (rel == NULL) {
		if (!l->listing)
			diag_warn(d->path, line, col, "link target '%s' is "
			    "outside the book", path);
	} else if ((l->doc = book_find_doc(b, rel)) == NULL) {
		if (!l->listing)
			diag_warn(d->path, line, col, "link target '%s' not "
			    "found in the book", path);
	} else if (frag != NULL && *frag != '\0' &&
	    (l->heading = doc_find_id(l->doc, frag)) == NULL) {
		diag_warn(d->path, line, col, "link target '%s#%s' not "
		    "found: no such heading", path, frag);
		l->doc = NULL;
	} else {
		l->kind = LINK_DOC;
		see_also_add(d, l->doc);
	}
	free(rel);
	free(dir);
	free(path);
	free(frag);
}

void
doc_resolve(struct book *b, struct doc *d)
{
	size_t	 i;

	for (i = 0; i < d->nlinks; i++)
		resolve_link(b, d, &d->links[i]);
}
