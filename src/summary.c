/*
 * The index file (the book's summary): its list items link to the
 * chapters, in reading order, grouped into parts by the headings above
 * them.  Also the names derived for each chapter (man page, XHTML
 * document) and the metadata defaults.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load.h"

/* The first link in the first paragraph of a list item, or NULL. */
static cmark_node *
item_link(cmark_node *item)
{
	cmark_node	*p, *n;

	p = cmark_node_first_child(item);
	if (p == NULL || cmark_node_get_type(p) != CMARK_NODE_PARAGRAPH)
		return NULL;
	for (n = cmark_node_first_child(p); n; n = cmark_node_next(n))
		if (cmark_node_get_type(n) == CMARK_NODE_LINK)
			return n;
	return NULL;
}

/* Names guidebook gives its own documents, and their prefixes. */
static int
reserved_name(const char *base, size_t n)
{
	static const char *const fixed[] = { "contents", "title", "nav",
	    "cover", "index", NULL };
	size_t	 i;

	for (i = 0; fixed[i] != NULL; i++)
		if (strlen(fixed[i]) == n && strncmp(base, fixed[i], n) == 0)
			return 1;
	return strncmp(base, "part", n < 4 ? n : 4) == 0 ||
	    strncmp(base, "ch", n < 2 ? n : 2) == 0;
}

/*
 * A name for the chapter's XHTML document: its base name when that is
 * plain ASCII and free, else chNNN.xhtml.  Caller frees.
 */
static char *
xhtml_name(const struct book *b, const char *rel, size_t number)
{
	const char	*base, *s;
	char		*name;
	size_t		 i, n;

	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".md") == 0)
		n -= 3;
	for (s = base; s < base + n; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '-' && *s != '_')
			break;
	if (n == 0 || n > 64 || s < base + n || reserved_name(base, n))
		return xasprintf("ch%03zu.xhtml", number);
	name = xasprintf("%.*s.xhtml", (int)n, base);
	for (i = 0; i + 1 < number; i++)
		if (strcmp(b->chapters[i].xhtml, name) == 0) {
			free(name);
			return xasprintf("ch%03zu.xhtml", number);
		}
	return name;
}

/* Is the real path of file inside the real directory dir? */
static int
inside_dir(const char *dir, const char *file)
{
	char	*rd, *rf;
	size_t	 n;
	int	 ok = 0;

	rd = realpath(dir, NULL);
	rf = realpath(file, NULL);
	if (rd != NULL && rf != NULL) {
		n = strlen(rd);
		ok = strncmp(rd, rf, n) == 0 &&
		    (rf[n] == '/' || strcmp(rd, "/") == 0);
	}
	free(rd);
	free(rf);
	return ok;
}

/* Add the chapter linked from index item link n.  0 or -1. */
static int
add_chapter(struct book *b, cmark_node *n, const char *part, size_t *cap)
{
	struct doc	*d;
	const char	*url = cmark_node_get_url(n);
	char		*path, *rel, *file;
	int		 line, col;
	struct stat	 st;

	line = cmark_node_get_start_line(n);
	col = cmark_node_get_start_column(n);
	path = pct_decode(url, strcspn(url, "?#"));
	rel = path_normalize("", path);
	if (rel == NULL || path[0] == '/') {
		diag_error(b->index.path, line, col, "chapter '%s' is outside "
		    "the book", path);
		free(path);
		free(rel);
		return -1;
	}
	if (strcmp(rel, b->index.rel) == 0) {
		diag_error(b->index.path, line, col, "the index lists itself "
		    "as a chapter");
		goto fail;
	}
	if (book_find_doc(b, rel) != NULL) {
		diag_error(b->index.path, line, col, "chapter '%s' is listed "
		    "twice", path);
		goto fail;
	}
	file = path_join(b->dir, rel);
	if (stat(file, &st) == -1) {
		diag_error(b->index.path, line, col, "chapter '%s' not found: "
		    "%s", path, strerror(errno));
		free(file);
		goto fail;
	}
	if (!inside_dir(b->dir, file)) {
		diag_error(b->index.path, line, col, "chapter '%s' resolves "
		    "outside the book", path);
		free(file);
		goto fail;
	}

	if (b->nchapters == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		b->chapters = xreallocarray(b->chapters, *cap,
		    sizeof(*b->chapters));
	}
	d = &b->chapters[b->nchapters++];
	memset(d, 0, sizeof(*d));
	d->path = file;
	d->rel = rel;
	b->source_bytes += (size_t)st.st_size;
	d->number = b->nchapters;
	d->part = NO_PART;
	d->xhtml = xhtml_name(b, rel, d->number);
	if (part != NULL) {
		if (b->nparts == 0 ||
		    b->parts[b->nparts - 1].first + b->parts[b->nparts - 1].count
		    != d->number - 1 ||
		    strcmp(b->parts[b->nparts - 1].title, part) != 0) {
			b->parts = xreallocarray(b->parts, b->nparts + 1,
			    sizeof(*b->parts));
			b->parts[b->nparts].title = xstrdup(part);
			b->parts[b->nparts].xhtml = xasprintf("part%02zu.xhtml",
			    b->nparts + 1);
			b->parts[b->nparts].first = d->number - 1;
			b->parts[b->nparts].count = 0;
			b->nparts++;
		}
		b->parts[b->nparts - 1].count++;
		d->part = b->nparts - 1;
	}
	free(path);
	return 0;
fail:
	free(path);
	free(rel);
	return -1;
}

/* Walk the index: headings open parts, list item links are chapters. */
int
summary_chapters(struct book *b)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, *link;
	const struct heading	*title;
	struct buf		 part = { NULL, 0, 0 };
	size_t			 cap = 0;
	int			 rc = 0, inpart = 0;
	const char		*ptitle = NULL;
	const char		*url;
	size_t			 slen;

	title = doc_title(&b->index);
	it = cmark_iter_new(b->index.root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			if (node_heading(n) == title)
				break;
			buf_reset(&part);
			book_node_text(n, &part);
			buf_puts(&part, "");	/* never NULL, even if empty */
			ptitle = str_trim(part.ptr);
			inpart = *ptitle != '\0';	/* empty: no part */
			break;
		case CMARK_NODE_ITEM:
			if ((link = item_link(n)) == NULL)
				break;
			url = cmark_node_get_url(link);
			if (url == NULL || *url == '\0' || *url == '#' ||
			    url_scheme(url, &slen))
				break;
			if (add_chapter(b, link, inpart ? ptitle : NULL,
			    &cap) == -1)
				rc = -1;
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
	buf_free(&part);
	return rc;
}

/* Man page names must be unique across the book, aliases included. */
int
check_names(struct book *b)
{
	const char	**names = NULL;
	size_t		  n = 0, i, j, k;
	int		  rc = 0;
	struct doc	 *d;

	for (i = 0; i <= b->nchapters; i++) {
		d = i == 0 ? &b->index : &b->chapters[i - 1];
		names = xreallocarray(names, n + 1 + d->naliases,
		    sizeof(*names));
		for (k = 0; k <= d->naliases; k++) {
			const char *name = k == 0 ? d->man : d->aliases[k - 1];

			for (j = 0; j < n; j++)
				if (strcmp(names[j], name) == 0)
					break;
			if (j < n) {
				diag_error(d->path, k == 0 ? d->man_line :
				    d->aliases_line, 0, "man page name '%s' "
				    "is used twice in the book", name);
				rc = -1;
			}
			names[n++] = name;
		}
	}
	free(names);
	return rc;
}

/* Fill in what the front matter left out. */
void
book_defaults(struct book *b)
{
	struct tm	 tm;
	struct doc	*d;
	char		 date[32];
	size_t		 i;

	if (b->title == NULL)
		b->title = xstrdup(b->index.title ? b->index.title :
		    "Untitled");
	if (b->language == NULL)
		b->language = xstrdup("en");
	if (b->index.man == NULL) {
		char *slug = slugify(b->title);
		b->index.man = man_name_ok(slug) == 0 ? slug : xstrdup("book");
		if (b->index.man != slug)
			free(slug);
	}
	if (b->index.description == NULL)
		b->index.description = xstrdup(b->subtitle ? b->subtitle :
		    b->title);
	if (b->index.title == NULL)
		b->index.title = xstrdup(b->title);
	if (b->manual == NULL)
		b->manual = xasprintf("%s Manual", b->title);
	if (b->index.date != NULL)
		b->date = xstrdup(b->index.date);
	else {
		gmtime_r(&b->epoch, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		b->date = xstrdup(date);
	}
	b->index.xhtml = xstrdup("contents.xhtml");
	for (i = 0; i < b->nchapters; i++) {
		d = &b->chapters[i];
		if (d->title == NULL) {
			const char *base = strrchr(d->rel, '/');
			d->title = xstrdup(base ? base + 1 : d->rel);
		}
		if (d->man == NULL) {
			char *base = xstrdup(strrchr(d->rel, '/') ?
			    strrchr(d->rel, '/') + 1 : d->rel);
			char *dot = strrchr(base, '.');
			if (dot != NULL && dot != base)
				*dot = '\0';
			d->man = xasprintf("%s-%s", b->index.man, base);
			if (man_name_ok(d->man) == -1) {
				free(d->man);
				d->man = xasprintf("%s-%zu", b->index.man,
				    d->number);
			}
			free(base);
		}
		if (d->description == NULL)
			d->description = xstrdup(d->title);
	}
}
