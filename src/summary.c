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
#include <strings.h>
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

int
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

/* Where a chapter is listed, and how. */
struct listing {
	cmark_node	*link;		/* the index's link to the chapter */
	const char	*part;		/* part title, or NULL */
	size_t		 depth;		/* list nesting, 0 at the top */
	int		 numbered;	/* in a list (0: mdBook prefix/suffix) */
};

/* Is the file at path usable as a chapter?  Reports at the index line. */
static int
chapter_file_ok(struct book *b, const char *file, const char *path,
    int line, int col, struct stat *st)
{
	if (stat(file, st) == -1) {
		diag_error(b->summary.path, line, col, "chapter '%s' not found: "
		    "%s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		diag_error(b->summary.path, line, col, "chapter '%s' is a "
		    "directory, not a Markdown file", path);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		diag_error(b->summary.path, line, col, "chapter '%s' is not a "
		    "regular file", path);
		return -1;
	}
	if (!inside_dir(b->dir, file)) {
		diag_error(b->summary.path, line, col, "chapter '%s' resolves "
		    "outside the book", path);
		return -1;
	}
	return 0;
}

/* Put chapter d into the part titled part (a new part if it changed). */
static void
join_part(struct book *b, struct doc *d, const char *part)
{
	struct part	*p = b->nparts ? &b->parts[b->nparts - 1] : NULL;

	if (part == NULL)
		return;
	if (p == NULL || p->first + p->count != d->number - 1 ||
	    strcmp(p->title, part) != 0) {
		b->parts = xreallocarray(b->parts, b->nparts + 1,
		    sizeof(*b->parts));
		p = &b->parts[b->nparts];
		p->title = xstrdup(part);
		p->xhtml = xasprintf("part%02zu.xhtml", b->nparts + 1);
		p->first = d->number - 1;
		p->count = 0;
		b->nparts++;
	}
	p->count++;
	d->part = b->nparts - 1;
}

/* The index's link to a chapter, judged here: resolving it is moot. */
static void
mark_listing(cmark_node *link)
{
	if (node_link(link) != NULL)
		((struct link *)node_link(link))->listing = 1;
}

/* An item that links nowhere: "- [Draft]()" */
static int
draft(cmark_node *link)
{
	const char	*url = cmark_node_get_url(link);

	return url == NULL || *url == '\0';
}

/* Add the chapter of a listing.  0 or -1. */
static int
add_chapter(struct book *b, const struct listing *ls, size_t *cap)
{
	struct doc	*d, *prev;
	struct buf	 text = { NULL, 0, 0 };
	const char	*url = cmark_node_get_url(ls->link);
	char		*path, *rel, *file;
	int		 line, col;
	struct stat	 st;

	mark_listing(ls->link);
	line = cmark_node_get_start_line(ls->link);
	col = cmark_node_get_start_column(ls->link);
	path = pct_decode(url, strcspn(url, "?#"));
	rel = path_normalize("", path);
	if (rel == NULL || path[0] == '/') {
		diag_error(b->summary.path, line, col, "chapter '%s' is outside "
		    "the book", path);
		goto fail;
	}
	if (strcmp(rel, b->summary.rel) == 0) {
		diag_error(b->summary.path, line, col, "the index lists itself "
		    "as a chapter");
		goto fail;
	}
	if (book_find_doc(b, rel) != NULL) {
		diag_error(b->summary.path, line, col, "chapter '%s' is listed "
		    "twice", path);
		goto fail;
	}
	file = path_join(b->dir, rel);
	if (chapter_file_ok(b, file, path, line, col, &st) == -1) {
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
	d->line = line;
	d->col = col;
	d->depth = ls->depth;
	d->numbered = ls->numbered;
	book_node_text(ls->link, &text);
	buf_puts(&text, "");
	d->link_text = xstrdup(str_trim(text.ptr));
	buf_free(&text);
	b->source_bytes += (size_t)st.st_size;
	d->number = b->nchapters;
	d->part = NO_PART;
	d->xhtml = xhtml_name(b, rel, d->number);
	join_part(b, d, ls->part);
	/*
	 * The first chapter of a part is at its top; no chapter nests
	 * deeper than one below the chapter before it.
	 */
	prev = d->number > 1 ? &b->chapters[d->number - 2] : NULL;
	if (prev == NULL || prev->part != d->part)
		d->depth = 0;
	else if (d->depth > prev->depth + 1)
		d->depth = prev->depth + 1;
	free(path);
	return 0;
fail:
	free(path);
	free(rel);
	return -1;
}

/*
 * Does the link point at a Markdown file of the book (not a URL, a
 * fragment, or a page of the web site the book also lives on)?
 */
static int
local_link(cmark_node *link)
{
	const char	*url = link ? cmark_node_get_url(link) : NULL;
	size_t		 slen, n;

	if (url == NULL || *url == '\0' || *url == '#' ||
	    url_scheme(url, &slen))
		return 0;
	n = strcspn(url, "?#");
	return (n > 3 && strncasecmp(url + n - 3, ".md", 3) == 0) ||
	    (n > 9 && strncasecmp(url + n - 9, ".markdown", 9) == 0);
}

/*
 * The link of a paragraph that holds nothing else (blanks aside), as
 * mdBook's prefix and suffix chapters are written, or NULL.
 */
static cmark_node *
lone_link(cmark_node *para)
{
	cmark_node	*n, *link = NULL;
	const char	*t;

	for (n = cmark_node_first_child(para); n; n = cmark_node_next(n)) {
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_LINK:
			if (link != NULL)
				return NULL;
			link = n;
			break;
		case CMARK_NODE_TEXT:
			for (t = cmark_node_get_literal(n); *t; t++)
				if (*t != ' ' && *t != '\t')
					return NULL;
			break;
		case CMARK_NODE_SOFTBREAK:
			break;
		default:
			return NULL;
		}
	}
	return link;
}

/*
 * Walk the index.  A heading opens a part; the first link of a list
 * item is a chapter, nested as deep as its list; a paragraph outside
 * any list that holds a lone link to a file is an unnumbered chapter
 * (mdBook's prefix and suffix chapters).  An item whose link is empty
 * (mdBook's draft chapter) or external is not a chapter.
 */
int
summary_chapters(struct book *b)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	const struct heading	*title;
	struct buf		 part = { NULL, 0, 0 };
	struct listing		 ls;
	const char		*ptitle;
	size_t			 cap = 0, lists = 0;
	int			 rc = 0;

	if (b->summary.root == NULL)
		return -1;
	memset(&ls, 0, sizeof(ls));
	title = doc_title(&b->summary);
	it = cmark_iter_new(b->summary.root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (cmark_node_get_type(n) == CMARK_NODE_LIST) {
			lists += ev == CMARK_EVENT_ENTER ? 1 : -1;
			continue;
		}
		if (ev != CMARK_EVENT_ENTER)
			continue;
		ls.link = NULL;
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_HEADING:
			if (node_heading(n) == title)
				break;
			buf_reset(&part);
			book_node_text(n, &part);
			buf_puts(&part, "");	/* never NULL, even if empty */
			ptitle = str_trim(part.ptr);
			ls.part = *ptitle != '\0' ? ptitle : NULL;
			break;
		case CMARK_NODE_ITEM:
			ls.link = item_link(n);
			ls.depth = lists - 1;
			ls.numbered = 1;
			break;
		case CMARK_NODE_PARAGRAPH:
			if (lists == 0) {
				ls.link = lone_link(n);
				ls.depth = 0;
				ls.numbered = 0;
			}
			break;
		default:
			break;
		}
		if (local_link(ls.link) && add_chapter(b, &ls, &cap) == -1)
			rc = -1;
		else if (ls.link != NULL && ls.numbered && draft(ls.link))
			mark_listing(ls.link);	/* mdBook's draft chapter */
	}
	cmark_iter_free(it);
	buf_free(&part);
	if (rc == 0 && b->nchapters == 0 && !b->summary_failed) {
		diag_error(b->summary.path, 0, 0, "the index lists no chapters "
		    "(a list of links to Markdown files, see guidebook(1))");
		rc = -1;
	}
	return rc;
}

/*
 * Man page names.  A chapter without a man: key is named after the book
 * and its file ("book-file"; a README.md or index.md after its
 * directory), at most MAN_MAX bytes, so that the page's header line
 * (NAME(7), the manual, NAME(7)) fits 78 columns.  A derived name that
 * is taken gets its directory, then a number; names the authors chose
 * must be unique, and a clash among them is an error for the man back
 * end only.
 */
#define MAN_MAX		28
#define BOOK_MAN_MAX	20

/* A name part: lower case, [a-z0-9._+-] only; caller frees. */
static char *
man_part(const char *s, size_t n)
{
	char	*p = xstrndup(s, n);
	size_t	 i;

	for (i = 0; p[i] != '\0'; i++) {
		p[i] = (char)tolower((unsigned char)p[i]);
		if (!isalnum((unsigned char)p[i]) && strchr("._+-", p[i]) ==
		    NULL)
			p[i] = '-';
	}
	return p;
}

/*
 * A name cut to at most max bytes after a whole word, a leading "the-"
 * or "a-" dropped first.  Caller frees.
 */
static char *
short_name(const char *man, size_t max)
{
	const char	*s;

	if (strlen(man) <= max)
		return xstrdup(man);
	if (strncmp(man, "the-", 4) == 0)
		man += 4;
	else if (strncmp(man, "a-", 2) == 0)
		man += 2;
	if (strlen(man) <= max)
		return xstrdup(man);
	for (s = man + max; s > man && *s != '-'; s--)
		;
	return xstrndup(man, s > man ? (size_t)(s - man) : max);
}

static int
name_taken(const struct book *b, const char *name, const struct doc *self)
{
	const struct doc	*d;
	size_t			 i, k;

	for (i = 0; i <= b->nchapters; i++) {
		d = i == 0 ? &b->summary : &b->chapters[i - 1];
		if (d != self && d->man != NULL && strcmp(d->man, name) == 0)
			return 1;
		for (k = 0; k < d->naliases; k++)
			if (strcmp(d->aliases[k], name) == 0)
				return 1;
	}
	return 0;
}

/* "stem" of a chapter file: its name, or its directory's for README. */
static char *
file_stem(const char *rel, int parent)
{
	const char	*base, *end, *dir;
	size_t		 n;
	int		 readme;

	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	end = strrchr(base, '.');
	n = end && end != base ? (size_t)(end - base) : strlen(base);
	readme = (n == 6 && strncasecmp(base, "README", 6) == 0) ||
	    (n == 5 && strncasecmp(base, "index", 5) == 0);
	if ((parent || readme) && base != rel) {
		for (dir = base - 1; dir > rel && dir[-1] != '/'; dir--)
			;
		if (readme)
			return man_part(dir, (size_t)(base - 1 - dir));
		return man_part(dir, (size_t)(base - dir) + n);
	}
	return man_part(base, n);
}

/* Join book and stem, cut to MAN_MAX at a hyphen if it must be. */
static char *
join_name(const char *book, const char *stem)
{
	char	*name = xasprintf("%s-%s", book, stem), *p;

	if (strlen(name) > MAN_MAX) {
		for (p = name + MAN_MAX; p > name + strlen(book) + 1 &&
		    *p != '-'; p--)
			;
		*(p > name + strlen(book) + 1 ? p : name + MAN_MAX) = '\0';
	}
	return name;
}

static void
derive_man_name(struct book *b, struct doc *d, const char *book)
{
	char	*stem, *name, *s;
	size_t	 k;

	/* book-file, then book-dir-file, then book-file-2, -3 ... */
	for (k = 0;; k++) {
		stem = file_stem(d->rel, k == 1);
		s = join_name(book, stem);
		free(stem);
		if (k < 2)
			name = s;
		else {
			name = xasprintf("%.*s-%zu", MAN_MAX - 6, s, k);
			free(s);
		}
		if (!name_taken(b, name, d))
			break;
		free(name);
	}
	d->man = name;
}

/* The index line of a doc, or its man: key's, for messages. */
static int
name_line(const struct doc *d, int alias)
{
	return alias ? d->aliases_line : d->man_line;
}

int
check_names(struct book *b)
{
	const struct doc	*d, *e;
	size_t			 i, j, k, m;
	int			 rc = 0;

	for (i = 0; i <= b->nchapters; i++) {
		d = i == 0 ? &b->summary : &b->chapters[i - 1];
		for (k = 0; k <= d->naliases; k++) {
			const char *name = k == 0 ? d->man : d->aliases[k - 1];

			for (j = 0; j < i; j++) {
				e = j == 0 ? &b->summary : &b->chapters[j - 1];
				for (m = 0; m <= e->naliases; m++)
					if (strcmp(m == 0 ? e->man :
					    e->aliases[m - 1], name) == 0)
						break;
				if (m > e->naliases)
					continue;
				diag_error(d->path, name_line(d, k > 0), 0,
				    "man page name '%s' is also the name of "
				    "%s:%d; give one of them another 'man:' "
				    "in its front matter", name, e->path,
				    name_line(e, m > 0));
				rc = -1;
			}
		}
	}
	return rc;
}

/* Fill in what the front matter left out. */
void
book_defaults(struct book *b)
{
	struct tm	 tm;
	struct doc	*d;
	char		 date[32], *book, *slug;
	size_t		 i;

	if (b->title == NULL)
		b->title = xstrdup(b->summary.title ? b->summary.title :
		    "Untitled");
	if (b->language == NULL)
		b->language = xstrdup("en");
	if (b->summary.man == NULL) {
		slug = slugify(b->title);
		b->summary.man = man_name_ok(slug) == 0 ?
		    short_name(slug, MAN_MAX) : xstrdup("book");
		free(slug);
	}
	if (b->summary.description == NULL)
		b->summary.description = xstrdup(b->subtitle ? b->subtitle :
		    b->title);
	if (b->summary.title == NULL)
		b->summary.title = xstrdup(b->title);
	if (b->manual == NULL)
		b->manual = xasprintf("%s Manual", b->title);
	if (b->summary.date != NULL)
		b->date = xstrdup(b->summary.date);
	else {
		gmtime_r(&b->epoch, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		b->date = xstrdup(date);
	}
	b->summary.xhtml = xstrdup("contents.xhtml");
	book = short_name(b->summary.man, BOOK_MAN_MAX);
	for (i = 0; i < b->nchapters; i++) {
		d = &b->chapters[i];
		if (d->title == NULL && d->front_title != NULL)
			d->title = xstrdup(d->front_title);
		if (d->title == NULL && d->link_text && *d->link_text)
			d->title = xstrdup(d->link_text);
		if (d->title == NULL) {
			const char *base = strrchr(d->rel, '/');
			d->title = xstrdup(base ? base + 1 : d->rel);
		}
		if (d->man == NULL)
			derive_man_name(b, d, book);
		if (d->description == NULL)
			d->description = xstrdup(d->title);
	}
	free(book);
}
