/*
 * Loading a book: the index and the chapters it lists, each read,
 * parsed and scanned once (heading ids, links, code blocks), then the
 * links resolved.  Every diagnostic about the input comes from the
 * loader (this file, scan.c, frontmatter.c, links.c, summary.c,
 * codeinfo.c, html.c, image.c), with file:line:col.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "footnote.h"
#include "gfm.h"
#include "html.h"
#include "load.h"
#include "pool.h"
#include "table.h"
#include "tree.h"

void
book_node_text(cmark_node *root, struct buf *out)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			buf_puts(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			buf_putc(out, ' ');
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

int
node_is_leaf(cmark_node *n)
{
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_TEXT:
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
	case CMARK_NODE_CODE:
	case CMARK_NODE_HTML_INLINE:
		return 1;
	default:
		return 0;
	}
}

const struct heading *
node_heading(cmark_node *n)
{
	if (cmark_node_get_type(n) != CMARK_NODE_HEADING)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct link *
node_link(cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	if (t != CMARK_NODE_LINK && t != CMARK_NODE_IMAGE)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct codeinfo *
node_code(cmark_node *n)
{
	if (cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct html *
node_html(cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	if (t != CMARK_NODE_HTML_BLOCK && t != CMARK_NODE_HTML_INLINE)
		return NULL;
	return cmark_node_get_user_data(n);
}

const struct heading *
doc_title(const struct doc *d)
{
	return d->title_head == (size_t)-1 ? NULL : &d->heads[d->title_head];
}

static int
is_link(cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	return t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE;
}

/*
 * Attach the annotations to a freshly parsed tree: the k-th heading and
 * the k-th link or image get heads[k] and links[k].  The same text
 * parses to the same tree, so the order matches the first parse.
 */
static void
doc_attach(struct doc *d)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	size_t			 h = 0, l = 0, c = 0, m = 0;
	cmark_node_type		 t;

	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (cmark_node_get_type(n) == CMARK_NODE_HEADING &&
		    h < d->nheads)
			cmark_node_set_user_data(n, &d->heads[h++]);
		else if (is_link(n) && l < d->nlinks)
			cmark_node_set_user_data(n, &d->links[l++]);
		else if (cmark_node_get_type(n) == CMARK_NODE_CODE_BLOCK &&
		    c < d->nblocks)
			cmark_node_set_user_data(n, &d->blocks[c++]);
		else if (((t = cmark_node_get_type(n)) ==
		    CMARK_NODE_HTML_BLOCK || t == CMARK_NODE_HTML_INLINE) &&
		    m < d->nhtmls)
			cmark_node_set_user_data(n, &d->htmls[m++]);
	}
	cmark_iter_free(it);
}

/*
 * Parse d's text, then what guidebook adds to CommonMark: tables and
 * footnotes.  The same text always makes the same tree, so a document
 * parsed again (doc_open) gets its annotations back by their order.
 */
static void
parse(struct doc *d)
{
	d->root = tree_parse(d->text, d->len, &d->arena);
	if (footnote_escape(&d->text, &d->len, d->root)) {
		tree_free(d->root, d->arena);
		d->root = tree_parse(d->text, d->len, &d->arena);
	}
	cmark_consolidate_text_nodes(d->root);
	table_transform(d->root, d->text);
	footnote_transform(d->root, d->text);
	gfm_transform(d->root);
}

static void
unparse(struct doc *d)
{
	tree_free(d->root, d->arena);
	d->root = NULL;
	d->arena = NULL;
}

void
doc_open(const struct doc *cd)
{
	struct doc	*d = (struct doc *)cd;	/* the tree is a cache */

	if (d->opened++ == 0 && d->root == NULL) {
		parse(d);
		doc_attach(d);
	}
}

void
doc_close(const struct doc *cd)
{
	struct doc	*d = (struct doc *)cd;

	if (d->opened > 0 && --d->opened == 0 && d->root != NULL &&
	    !d->keep) {
		unparse(d);
	}
}

/*
 * Read and sanitise one Markdown file into d and apply its front matter;
 * where selects the allowed keys.  raw and rawlen, when raw is not NULL,
 * are used instead of reading the file (standard input in render mode).
 * On a file that cannot be read, d->text stays NULL.
 */
static int
doc_read(struct book *b, struct doc *d, const char *raw, size_t rawlen,
    int where)
{
	char		*data = NULL;
	int		 rc = 0;

	if (raw == NULL) {
		if (file_read(d->path, &data, &rawlen) == -1)
			return -1;
		raw = data;
	}
	d->text = utf8_sanitize(d->path, raw, rawlen, &d->len);
	free(data);
	if (frontmatter_apply(b, d, where) == -1)
		rc = -1;
	return rc;
}

/* After the parse: heading ids and links (scan.c), then annotations. */
static int
doc_finish(struct book *b, struct doc *d)
{
	if (d->root == NULL)
		return d->text == NULL ? -1 : 0;
	if (doc_scan(b, d) == -1)
		return -1;
	doc_attach(d);
	return 0;
}

static int
doc_load(struct book *b, struct doc *d, const char *raw, size_t rawlen,
    int where)
{
	int	 rc;

	rc = doc_read(b, d, raw, rawlen, where);
	if (d->text != NULL)
		parse(d);
	if (doc_finish(b, d) == -1)
		rc = -1;
	return rc;
}

/* Pool job: parse chapter k of the window (cmark keeps no shared state). */
static void
parse_job(void *arg, size_t k)
{
	struct doc	*d = (struct doc *)arg + k;

	if (d->text != NULL)
		parse(d);
}

/*
 * Trees of a book up to this many bytes of Markdown stay in memory from
 * the first parse: they add 4.9 MB to the peak RSS of an EPUB build of
 * the guides' 1.0 MB, 28 MB for four times the guides (-j1).  A larger
 * book keeps only its text and parses each chapter again when a back
 * end opens it (the EPUB's figures and pages, the man pages), which
 * would cost the guides 19% more instructions for an EPUB and 46% more
 * for the man pages, but keeps memory a small multiple of the input.
 */
#define KEEP_TREES_MAX	((size_t)2 * 1024 * 1024)

/*
 * After the first parse (and the walk): keep the tree for good, or free
 * it until doc_open.
 */
static void
doc_unload(const struct book *b, struct doc *d)
{
	d->keep = b->source_bytes <= KEEP_TREES_MAX;
	if (!d->keep && d->root != NULL && d->opened == 0)
		unparse(d);
}

static void
doc_free(struct doc *d)
{
	size_t	 i;

	free(d->path);
	free(d->rel);
	free(d->text);
	unparse(d);
	free(d->title);
	free(d->man);
	for (i = 0; i < d->naliases; i++)
		free(d->aliases[i]);
	free(d->aliases);
	free(d->description);
	free(d->link_text);
	free(d->front_title);
	free(d->date);
	free(d->xhtml);
	for (i = 0; i < d->nheads; i++) {
		free(d->heads[i].id);
		free(d->heads[i].text);
	}
	free(d->heads);
	for (i = 0; i < d->nlinks; i++) {
		free(d->links[i].url);
		free(d->links[i].href);
	}
	free(d->links);
	for (i = 0; i < d->nanchors; i++)
		free(d->anchors[i]);
	free(d->anchors);
	for (i = 0; i < d->nhtmls; i++)
		html_free(&d->htmls[i]);
	free(d->htmls);
	for (i = 0; i < d->nblocks; i++)
		codeinfo_free(&d->blocks[i]);
	free(d->blocks);
	free(d->see_also);
}

void
book_free(struct book *b)
{
	size_t	 i;

	doc_free(&b->summary);
	for (i = 0; i < b->nchapters; i++)
		doc_free(&b->chapters[i]);
	free(b->chapters);
	for (i = 0; i < b->nparts; i++) {
		free(b->parts[i].title);
		free(b->parts[i].xhtml);
	}
	free(b->parts);
	free(b->dir);
	free(b->title);
	free(b->subtitle);
	free(b->language);
	for (i = 0; i < b->nauthors; i++)
		free(b->authors[i]);
	free(b->authors);
	free(b->version);
	free(b->identifier);
	free(b->date);
	free(b->manual);
	free(b->stylesheet);
	free(b->cover);
	for (i = 0; i < b->nimages; i++)
		image_free(b->images[i]);
	free(b->images);
	free(b->files);
	if (b->html_doc != NULL)
		xmlFreeDoc(b->html_doc);
	for (i = 0; i < b->nfm_unknown; i++)
		free(b->fm_unknown[i]);
	free(b->fm_unknown);
	free(b->site);
	for (i = 0; i < b->nfm_ignore; i++)
		free(b->fm_ignore[i]);
	free(b->fm_ignore);
	memset(b, 0, sizeof(*b));
}


/*
 * The chapters, a window at a time: read in order, parsed on the pool
 * (the heaviest first), then scanned in order, so that messages keep
 * their order.  A book small enough to keep its trees is one window;
 * a larger one has windows of about LOAD_WINDOW bytes, so that only
 * their trees are in memory at once.
 */
#define LOAD_WINDOW	((size_t)1024 * 1024)

static int
load_chapters(struct book *b, const struct book_walk *walk)
{
	struct doc	*d;
	size_t		*weight, *order;
	size_t		 i, j, k, bytes, max;
	int		 rc = 0;

	max = b->source_bytes <= KEEP_TREES_MAX ? (size_t)-1 : LOAD_WINDOW;
	weight = xcalloc(b->nchapters, sizeof(*weight));
	for (i = 0; i < b->nchapters; i = j) {
		for (j = i, bytes = 0; j < b->nchapters && (j == i ||
		    bytes < max); j++) {
			if (doc_read(b, &b->chapters[j], NULL, 0,
			    IN_CHAPTER) == -1)
				rc = -1;
			bytes += b->chapters[j].len;
			weight[j - i] = b->chapters[j].len;
		}
		order = pool_order(weight, j - i);
		pool_run(j - i, order, parse_job, &b->chapters[i]);
		free(order);
		for (k = i; k < j; k++) {
			d = &b->chapters[k];
			if (doc_finish(b, d) == -1)
				rc = -1;
			if (walk != NULL && d->root != NULL) {
				d->opened++;	/* held: the walk's doc_close */
				walk->chapter(walk->ctx, d);
				d->opened--;	/* must not free it yet */
			}
			doc_unload(b, d);
		}
	}
	free(weight);
	return rc;
}

static void	note_files(struct book *);

int
book_load(struct book *b, const char *path, time_t epoch, int flags,
    const struct book_walk *walk)
{
	const char	*base;
	size_t		 i;
	int		 rc = 0;

	memset(b, 0, sizeof(*b));
	b->epoch = epoch;
	b->dir = path_dir(path);
	base = strrchr(path, '/');
	b->summary.path = xstrdup(path);
	b->summary.rel = xstrdup(base ? base + 1 : path);
	b->summary.part = NO_PART;
	if (doc_load(b, &b->summary, NULL, 0, IN_INDEX) == -1)
		rc = b->summary_failed = -1;
	if (b->summary.root == NULL)
		return -1;		/* unreadable: nothing to list */
	b->source_bytes = b->summary.len;
	if (summary_chapters(b) == -1)
		rc = -1;
	doc_unload(b, &b->summary);
	if (load_chapters(b, walk) == -1)
		rc = -1;
	/* On: every problem of the book is reported in one run. */
	book_defaults(b);
	if ((flags & BOOK_MAN) && check_names(b) == -1)
		rc = -1;
	doc_resolve(b, &b->summary);
	for (i = 0; i < b->nchapters; i++)
		doc_resolve(b, &b->chapters[i]);
	note_files(b);
	return rc == -1 || diag_errors ? -1 : 0;
}

/* An input file of the book and its identity (book_input). */
struct book_file {
	dev_t		 dev;
	ino_t		 ino;
	const char	*path;		/* the book's */
};

static void
file_note(struct book *b, const char *path)
{
	struct stat	 st;

	if (path == NULL || stat(path, &st) == -1)
		return;
	b->files = xreallocarray(b->files, b->nfiles + 1, sizeof(*b->files));
	b->files[b->nfiles].dev = st.st_dev;
	b->files[b->nfiles].ino = st.st_ino;
	b->files[b->nfiles++].path = path;
}

/* The identities of the index, the chapters and the images. */
static void
note_files(struct book *b)
{
	size_t	 i;

	file_note(b, b->summary.path);
	for (i = 0; i < b->nchapters; i++)
		file_note(b, b->chapters[i].path);
	for (i = 0; i < b->nimages; i++)
		file_note(b, b->images[i]->path);
}

/* Is st the file at path?  (path may be NULL.) */
static int
same_file(const struct stat *st, const char *path)
{
	struct stat	 other;

	return path != NULL && stat(path, &other) == 0 &&
	    other.st_dev == st->st_dev && other.st_ino == st->st_ino;
}

/*
 * The stylesheet and the cover are looked at each time: main.c may
 * replace the stylesheet after loading (--stylesheet).
 */
const char *
book_input(const struct book *b, const char *path)
{
	struct stat	 st;
	size_t		 i;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	for (i = 0; i < b->nfiles; i++)
		if (b->files[i].dev == st.st_dev &&
		    b->files[i].ino == st.st_ino)
			return b->files[i].path;
	if (same_file(&st, b->stylesheet))
		return b->stylesheet;
	if (same_file(&st, b->cover))
		return b->cover;
	return NULL;
}

int
book_load_buffer(struct book *b, const char *name, const char *data,
    size_t len, time_t epoch)
{
	memset(b, 0, sizeof(*b));
	b->standalone = 1;
	b->epoch = epoch;
	b->dir = xstrdup(".");
	b->summary.path = xstrdup(name);
	b->summary.part = NO_PART;
	if (doc_load(b, &b->summary, data, len, IN_BOTH) == -1)
		return -1;
	b->source_bytes = len;
	doc_unload(b, &b->summary);
	book_defaults(b);
	doc_resolve(b, &b->summary);
	return diag_errors ? -1 : 0;
}

int
book_load_single(struct book *b, const char *path, time_t epoch)
{
	struct buf	 in = { NULL, 0, 0 };
	char		 chunk[65536];
	size_t		 n;
	int		 rc;

	if (path == NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
			buf_put(&in, chunk, n);
			if (in.len > FILE_MAX) {
				memset(b, 0, sizeof(*b));
				diag_error("<stdin>", 0, 0, "input larger than "
				    "%zu MB", (size_t)FILE_MAX >> 20);
				buf_free(&in);
				return -1;
			}
		}
		if (ferror(stdin)) {
			memset(b, 0, sizeof(*b));
			diag_error("<stdin>", 0, 0, "cannot read: %s",
			    strerror(errno));
			buf_free(&in);
			return -1;
		}
		rc = book_load_buffer(b, "<stdin>", in.ptr ? in.ptr : "",
		    in.len, epoch);
		buf_free(&in);
		return rc;
	}
	memset(b, 0, sizeof(*b));
	b->standalone = 1;
	b->epoch = epoch;
	b->dir = path_dir(path);
	b->summary.path = xstrdup(path);
	b->summary.part = NO_PART;
	if (doc_load(b, &b->summary, NULL, 0, IN_BOTH) == -1)
		return -1;
	b->source_bytes = b->summary.len;
	doc_unload(b, &b->summary);
	book_defaults(b);
	doc_resolve(b, &b->summary);
	return diag_errors ? -1 : 0;
}
