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

/*
 * Schemes a link may not have, as cmark's renderers judge them: code
 * that runs (javascript:, vbscript:), a local file, inline data.
 */
int
scheme_safe(const char *url, size_t len)
{
	static const char *const unsafe[] = { "javascript", "vbscript",
	    "file", "data", NULL };
	size_t	 i;

	for (i = 0; unsafe[i] != NULL; i++)
		if (strlen(unsafe[i]) == len &&
		    strncasecmp(url, unsafe[i], len) == 0)
			return 0;
	return 1;
}

/*
 * The place id names in d: a heading, a figure or an anchor of raw HTML.
 * Fills in l's target; 0, or -1 when d has no such id.
 */
static int
find_target(const struct doc *d, const char *id, struct link *l)
{
	size_t	 i;

	for (i = 0; i < d->nheads; i++)
		if (strcmp(d->heads[i].id, id) == 0) {
			l->heading = &d->heads[i];
			l->frag = d->heads[i].id;
			return 0;
		}
	for (i = 0; i < d->nblocks; i++)
		if (d->blocks[i].kind == CODE_DIAGRAM &&
		    strcmp(d->blocks[i].id, id) == 0) {
			l->figure = &d->blocks[i];
			l->frag = d->blocks[i].id;
			return 0;
		}
	for (i = 0; i < d->nanchors; i++)
		if (strcmp(d->anchors[i], id) == 0) {
			l->frag = d->anchors[i];
			return 0;
		}
	return -1;
}

/*
 * A URL as an href, escaped as cmark's HTML renderer escapes it: bytes
 * outside the characters URLs use as they are become %XX, and so does a
 * '%' that does not start an escape.  Caller frees.
 */
char *
href_escape(const char *url)
{
	static const char safe[] = "-_.+!*'(),#@?=;:/&$~";
	struct buf	 b = { NULL, 0, 0 };
	const unsigned char *s;

	buf_grow(&b, strlen(url) + 1);
	for (s = (const unsigned char *)url; *s != '\0'; s++) {
		if (*s == '%' && isxdigit(s[1]) && isxdigit(s[2]))
			buf_putc(&b, '%');
		else if (*s < 0x80 && (isalnum(*s) || strchr(safe, *s)))
			buf_putc(&b, *s);
		else
			buf_printf(&b, "%%%02X", *s);
	}
	buf_putc(&b, '\0');
	b.len--;
	return buf_take(&b);
}

/* An absolute path on the web site: the site's URL before it, escaped. */
char *
site_url(const char *site, const char *path)
{
	char	*url = xasprintf("%s%s", site, path), *href;

	href = href_escape(url);
	free(url);
	return href;
}

/*
 * mdBook's books link chapter files by their HTML names: "x.html" for
 * x.md, "dir/index.html" for dir/README.md.  The document such a path
 * means, if the book has it.
 */
static struct doc *
find_html_doc(struct book *b, const char *rel)
{
	struct doc	*d = NULL;
	size_t		 n = strlen(rel);
	char		*md;

	if (n < 5 || strcmp(rel + n - 5, ".html") != 0)
		return NULL;
	md = xasprintf("%.*s.md", (int)(n - 5), rel);
	d = book_find_doc(b, md);
	free(md);
	if (d == NULL && (n == 10 || (n > 10 && rel[n - 11] == '/')) &&
	    strcmp(rel + n - 10, "index.html") == 0) {
		md = xasprintf("%.*sREADME.md", (int)(n - 10), rel);
		d = book_find_doc(b, md);
		free(md);
	}
	return d;
}

/* The document at rel (normalised, relative to the index), or NULL. */
struct doc *
book_find_doc(struct book *b, const char *rel)
{
	size_t	 i;

	if (b->summary.rel != NULL && strcmp(b->summary.rel, rel) == 0)
		return &b->summary;
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

/* An absolute URL: kept when its scheme is safe, else text. */
static void
resolve_scheme(const struct doc *d, struct link *l, size_t slen,
    int standalone)
{
	if (scheme_safe(l->url, slen) && (!l->image || standalone)) {
		/* One document rendered alone: like cmark, keep images. */
		l->kind = l->image ? LINK_KEEP : LINK_EXTERNAL;
		l->href = href_escape(l->url);
	} else if (l->image)
		diag_warn(d->path, l->line, l->col, "remote image '%s' not "
		    "included (guidebook never fetches); its description is "
		    "shown", l->url);
	else
		diag_warn(d->path, l->line, l->col, "unsafe URL '%.*s:...' "
		    "dropped", (int)slen, l->url);
}

/* "#id": a place in this document. */
static void
resolve_fragment(struct book *b, struct doc *d, struct link *l)
{
	char	*frag = pct_decode(l->url + 1, strlen(l->url + 1));

	if (find_target(d, frag, l) == 0) {
		l->kind = LINK_DOC;
		l->doc = d;
	} else {
		diag_warn(d->path, l->line, l->col, "link target '#%s' not "
		    "found in this document", frag);
		if (b->standalone) {	/* it may be someone else's id */
			l->kind = LINK_KEEP;
			l->href = href_escape(l->url);
		}
	}
	free(frag);
}

/* A relative path: a document of the book, and maybe a place in it. */
static void
resolve_path(struct book *b, struct doc *d, struct link *l)
{
	const char	*hash = strchr(l->url, '#');
	char		*dir, *path, *rel, *frag;
	int		 line = l->line, col = l->col;

	frag = hash ? pct_decode(hash + 1, strlen(hash + 1)) : NULL;
	path = pct_decode(l->url, strcspn(l->url, "?#"));
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
	} else if ((l->doc = book_find_doc(b, rel)) == NULL &&
	    (l->doc = find_html_doc(b, rel)) == NULL) {
		if (!l->listing)
			diag_warn(d->path, line, col, "link target '%s' not "
			    "found in the book", path);
	} else if (frag != NULL && *frag != '\0' &&
	    find_target(l->doc, frag, l) == -1) {
		diag_warn(d->path, line, col, "link target '%s#%s' not "
		    "found: no such heading or anchor", path, frag);
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

/* Resolve one link or image node of document d. */
static void
resolve_link(struct book *b, struct doc *d, struct link *l)
{
	size_t	 slen;

	if (url_scheme(l->url, &slen)) {
		resolve_scheme(d, l, slen, b->standalone);
		return;
	}
	if (b->standalone && (l->image || l->url[0] != '#')) {
		/* One document: relative URLs are the reader's business. */
		l->kind = LINK_KEEP;
		l->href = href_escape(l->url);
		return;
	}
	if (l->url[0] == '\0') {
		if (!l->listing)
			diag_warn(d->path, l->line, l->col, "%s has no target",
			    l->image ? "image" : "link");
		return;
	}
	if (l->url[0] == '/' && l->url[1] != '/' && b->site != NULL &&
	    !l->image) {
		/* A page of the book's web site (the index's site: key). */
		l->kind = LINK_EXTERNAL;
		l->href = site_url(b->site, l->url);
		return;
	}
	if (l->url[0] == '/' || l->url[0] == '\\') {
		diag_warn(d->path, l->line, l->col, "%s '%s' is an absolute "
		    "path outside the book%s", l->image ? "image" :
		    "link target", l->url, l->image || b->site ? "" :
		    " (a site: key in the index makes it a link to the web "
		    "site)");
		return;
	}
	if (l->image) {
		if ((l->img = image_find(b, d, l->url, l->line, l->col)) !=
		    NULL)
			l->kind = LINK_IMAGE;
		return;
	}
	if (l->url[0] == '#')
		resolve_fragment(b, d, l);
	else
		resolve_path(b, d, l);
}

void
doc_resolve(struct book *b, struct doc *d)
{
	size_t	 i;

	for (i = 0; i < d->nlinks; i++)
		resolve_link(b, d, &d->links[i]);
}
