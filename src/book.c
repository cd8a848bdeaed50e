/*
 * Loading a book: the index and the chapters it lists, each read,
 * parsed and scanned once (heading ids, links, code blocks), then the
 * links resolved.  Every diagnostic about the input comes from the
 * loader (this file, frontmatter.c, links.c, summary.c, codeinfo.c),
 * with file:line:col.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "footnote.h"
#include "gfm.h"
#include "html.h"
#include "load.h"
#include "pool.h"
#include "table.h"
#include "tree.h"

/* Nesting deeper than this is refused before cmark sees it. */
#define NEST_MAX	1000

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
 * Punctuation and symbols outside ASCII, which GitHub's slugs drop as
 * they drop ASCII punctuation: Latin-1's, the general punctuation and
 * symbol blocks (quotes, dashes, arrows, math, boxes, dingbats), CJK
 * and full-width punctuation, emoji.
 */
static int
unicode_punct(unsigned int cp)
{
	static const unsigned int ranges[][2] = {
		{ 0x00A0, 0x00BF }, { 0x00D7, 0x00D7 }, { 0x00F7, 0x00F7 },
		{ 0x2000, 0x2BFF }, { 0x2E00, 0x2E7F }, { 0x3000, 0x303F },
		{ 0xFE10, 0xFE1F }, { 0xFE30, 0xFE4F }, { 0xFF01, 0xFF0F },
		{ 0xFF1A, 0xFF20 }, { 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 },
		{ 0x1F000, 0x1FAFF }
	};
	size_t	 i;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

/*
 * The slug of a heading, GitHub style: ASCII letters lowered; letters,
 * digits, '-', '_' and non-ASCII characters but punctuation kept;
 * spaces turned into '-'; everything else dropped.  Caller frees.
 */
char *
slugify(const char *text)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*s;
	unsigned int	 cp;
	size_t		 n, len = strlen(text);

	for (s = text; *s != '\0'; s += n) {
		unsigned char c = (unsigned char)*s;

		n = 1;
		if (c >= 0x80) {
			cp = utf8_decode(s, len - (size_t)(s - text), &n);
			if (!unicode_punct(cp))
				buf_put(&b, s, n);
		} else if (isalnum(c) || c == '_' || c == '-')
			buf_putc(&b, tolower(c));
		else if (c == ' ')
			buf_putc(&b, '-');
	}
	if (b.len == 0)
		BUF_LIT(&b, "section");
	return buf_take(&b);
}

/* Is id taken in d, by a heading or by an anchor of raw HTML? */
static int
id_taken(const struct doc *d, const char *id)
{
	size_t	 i;

	for (i = 0; i < d->nheads; i++)
		if (strcmp(d->heads[i].id, id) == 0)
			return 1;
	for (i = 0; i < d->nanchors; i++)
		if (strcmp(d->anchors[i], id) == 0)
			return 1;
	return 0;
}

/* Is n a heading's {#name}?  *name gets it. */
static int
is_id(cmark_node *n, const char **name)
{
	const char	*kind = gfm_kind(n, name);

	return kind != NULL && strcmp(kind, "id") == 0;
}

/* A new heading of d, with a unique GitHub-style id. */
static void
add_heading(struct doc *d, cmark_node *n, size_t *cap, struct buf *text)
{
	struct heading	*h;
	cmark_node	*c;
	const char	*name;
	char		*base, *id;
	size_t		 k;

	buf_reset(text);
	book_node_text(n, text);
	buf_puts(text, "");
	/* {#name} after the text: the author's id, if it is free. */
	if ((c = cmark_node_last_child(n)) != NULL && is_id(c, &name) &&
	    !id_taken(d, name))
		base = xstrdup(name);
	else {
		if (c != NULL && is_id(c, &name))
			diag_warn(d->path, cmark_node_get_start_line(n),
			    cmark_node_get_start_column(n), "heading id '%s' "
			    "is already taken in this document", name);
		base = slugify(str_trim(text->ptr));
	}
	id = xstrdup(base);
	for (k = 1; id_taken(d, id); k++) {
		free(id);
		id = xasprintf("%s-%zu", base, k);
	}
	free(base);
	if (d->nheads == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		d->heads = xreallocarray(d->heads, *cap, sizeof(*d->heads));
	}
	h = &d->heads[d->nheads++];
	h->level = cmark_node_get_heading_level(n);
	h->id = id;
	h->text = xstrdup(str_trim(text->ptr));
}

/* Is an image's description (its alt text) blank? */
static int
no_description(cmark_node *n)
{
	struct buf	 t = { NULL, 0, 0 };
	int		 blank;

	book_node_text(n, &t);
	blank = t.ptr == NULL || *t.ptr == '\0' || *str_trim(t.ptr) == '\0';
	buf_free(&t);
	return blank;
}

/* A new link of d, recorded as written; resolved once all are loaded. */
static void
add_link(struct doc *d, cmark_node *n, size_t *cap, int line_add, int col_add)
{
	struct link	*l;
	const char	*url = cmark_node_get_url(n);

	if (d->nlinks == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->links = xreallocarray(d->links, *cap, sizeof(*d->links));
	}
	l = &d->links[d->nlinks++];
	memset(l, 0, sizeof(*l));
	l->kind = LINK_DROP;
	l->url = xstrdup(url ? url : "");
	l->line = cmark_node_get_start_line(n) + line_add;
	l->col = cmark_node_get_start_column(n) + col_add;
	l->image = cmark_node_get_type(n) == CMARK_NODE_IMAGE;
	if (l->image && no_description(n))
		diag_warn(d->path, l->line, l->col, "image '%s' has no "
		    "description (alt text): a screen reader cannot say what "
		    "it shows", l->url);
}

/* The verdict on a new code block of d. */
static int
add_block(struct doc *d, cmark_node *n, size_t *cap)
{
	if (d->nblocks == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		d->blocks = xreallocarray(d->blocks, *cap, sizeof(*d->blocks));
	}
	return codeinfo_parse(d->path, d->text, n,
	    &d->blocks[d->nblocks++]);
}

/* A raw inline element left open, and the nesting it was opened at. */
struct rawopen {
	char		*name;
	int		 depth;
};

/* What one scan of a document keeps track of. */
struct scan {
	struct book	*b;
	struct doc	*d;
	struct buf	 text;
	size_t		 hcap, lcap, bcap, mcap;
	int		 depth;		/* containers open */
	int		 links;		/* Markdown links open */
	int		 cell_col;	/* in a table cell: columns to add */
	int		 cell_line;	/* and lines */
	struct rawopen	*raw;		/* raw inline elements open */
	size_t		 nraw, capraw;
};

static struct html *
new_html(struct scan *sc)
{
	struct doc	*d = sc->d;

	if (d->nhtmls == sc->mcap) {
		sc->mcap = sc->mcap ? sc->mcap * 2 : 16;
		d->htmls = xreallocarray(d->htmls, sc->mcap,
		    sizeof(*d->htmls));
	}
	return &d->htmls[d->nhtmls++];
}

/* Is a raw <a> open, or a Markdown link around this point? */
static int
in_link(const struct scan *sc)
{
	size_t	 i;

	for (i = 0; i < sc->nraw; i++)
		if (strcmp(sc->raw[i].name, "a") == 0)
			return 1;
	return sc->links > 0;
}

/*
 * Inline raw HTML: judged where it stands.  The scan follows what the
 * XHTML back end will do with the verdicts: a start tag opens an
 * element until its end tag, or until the container it was opened in
 * ends.
 */
static void
scan_inline_html(struct scan *sc, cmark_node *n)
{
	struct html	*h = new_html(sc);
	size_t		 k;

	html_judge_inline(sc->b, sc->d, n, in_link(sc), h);
	if (h->kind == HTML_OPEN) {
		if (sc->nraw == sc->capraw) {
			sc->capraw = sc->capraw ? sc->capraw * 2 : 8;
			sc->raw = xreallocarray(sc->raw, sc->capraw,
			    sizeof(*sc->raw));
		}
		sc->raw[sc->nraw].name = h->name;
		sc->raw[sc->nraw++].depth = sc->depth;
	} else if (h->kind == HTML_CLOSE) {
		for (k = sc->nraw; k > 0; k--)
			if (strcmp(sc->raw[k - 1].name, h->name) == 0) {
				sc->nraw = k - 1;
				break;
			}
	}
}

/* A container ends: raw elements opened inside it end with it. */
static void
scan_exit(struct scan *sc, cmark_node *n)
{
	while (sc->nraw > 0 && sc->raw[sc->nraw - 1].depth >= sc->depth)
		sc->nraw--;
	if (table_kind(n) != NULL)
		sc->cell_col = sc->cell_line = 0;
	if (cmark_node_get_type(n) == CMARK_NODE_LINK)
		sc->links--;
	sc->depth--;
}

/*
 * Table nodes: a cell's inlines were parsed from its text alone, so
 * their columns count from the cell's start; a row with more cells
 * than its header lost some.
 */
static void
scan_table(struct scan *sc, cmark_node *n)
{
	const char	*kind = table_kind(n), *extra;
	char		 align;
	int		 col, line;

	if (kind == NULL)
		return;
	if (table_cell(n, &align, &col, &line)) {
		sc->cell_col = col - 3;		/* after "x " */
		sc->cell_line = line - 1;
	}
	else if (strcmp(kind, "tr") == 0 &&
	    (extra = cmark_node_get_on_exit(n)) != NULL && *extra == '+')
		diag_warn(sc->d->path, atoi(extra + 1), 0, "table row has "
		    "more cells than the header; the cells beyond it are "
		    "left out");
	else if (strcmp(kind, "table") == 0)
		sc->d->tables++;
}

/* Where in the text node n the byte at off is, for messages. */
static void
text_at(cmark_node *n, const char *lit, const char *at, int *line, int *col)
{
	cmark_node	*m;

	*line = cmark_node_get_start_line(n);
	*col = cmark_node_get_start_column(n);
	if (*col > 0)
		*col += (int)(at - lit);
	/* Text a transform made has no position: the nearest node's line. */
	for (m = n; *line == 0 && m != NULL; m = cmark_node_previous(m) ?
	    cmark_node_previous(m) : cmark_node_parent(m))
		*line = cmark_node_get_start_line(m);
}

/*
 * mdBook's preprocessor commands in s ("{{#include file.rs}}"), or NULL.
 * Other {{#...}} (Handlebars templates in a code sample) are text.
 */
static const char *
mdbook_command(const char *s)
{
	static const char *const cmds[] = { "include ", "rustdoc_include ",
	    "playground ", "title ", NULL };
	size_t	 i;

	for (; (s = strstr(s, "{{#")) != NULL; s += 3)
		for (i = 0; cmds[i] != NULL; i++)
			if (strncmp(s + 3, cmds[i], strlen(cmds[i])) == 0)
				return s;
	return NULL;
}

/*
 * Is every mdBook command on line lineno of the source escaped, as
 * mdBook writes one it shows rather than runs ("\{{#include ...}}")?
 */
static int
escaped_in_source(const char *text, int lineno)
{
	const char	*s = text, *eol, *c;
	int		 l;

	for (l = 1; l < lineno && s != NULL; l++)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	if (s == NULL)
		return 0;
	eol = strchr(s, '\n');
	for (c = s; (c = mdbook_command(c)) != NULL &&
	    (eol == NULL || c < eol); c += 3)
		if (c == s || c[-1] != '\\')
			return 0;
	return 1;
}

/*
 * Markdown that other tools read and guidebook does not: a warning with
 * where it is, never silence (the text itself is kept as written).
 */
static void
scan_text(struct scan *sc, cmark_node *n)
{
	const char	*lit = cmark_node_get_literal(n), *s, *end;
	int		 line, col;

	if (lit == NULL)
		return;
	for (s = strstr(lit, "[^"); s != NULL; s = strstr(s + 2, "[^"))
		if ((end = strchr(s, ']')) != NULL && end > s + 2 &&
		    strcspn(s + 2, " \t") > (size_t)(end - s - 2)) {
			text_at(n, lit, s, &line, &col);
			diag_warn(sc->d->path, line, col, "footnote '%.*s' has "
			    "no definition ('%.*s: ...' in this document)",
			    (int)(end + 1 - s), s, (int)(end + 1 - s), s);
		}
	if ((s = strstr(lit, "~~")) != NULL) {
		text_at(n, lit, s, &line, &col);
		diag_warn(sc->d->path, line, col, "strikethrough (~~) that "
		    "spans markup or blanks is not supported; the tildes are "
		    "shown");
	}
	if ((s = mdbook_command(lit)) != NULL) {
		text_at(n, lit, s, &line, &col);
		if (!escaped_in_source(sc->d->text, line))
			diag_warn(sc->d->path, line, col, "mdBook's {{#...}} "
			    "commands are not supported; the text is shown as "
			    "written");
	}
}

/* A footnote or a reference: a note never referred to is a warning. */
static void
scan_footnote(struct scan *sc, cmark_node *n)
{
	cmark_node	*t;
	int		 num, k;

	if (footnote_of(n, &num, &k) != FOOTNOTE_NOTE || k > 0)
		return;
	for (t = n; t != NULL && cmark_node_get_start_line(t) == 0;
	    t = cmark_node_first_child(t))
		;
	diag_warn(sc->d->path, t ? cmark_node_get_start_line(t) : 0, 0,
	    "footnote %d is defined but never referred to", num);
}

/* Does code run an mdBook command (one not escaped with a backslash)? */
static int
code_command(const char *code)
{
	const char	*c;

	for (c = code; (c = mdbook_command(c)) != NULL; c += 3)
		if (c == code || c[-1] != '\\')
			return 1;
	return 0;
}

/* One node on its way in.  0, or -1 after an error. */
static int
scan_enter(struct scan *sc, cmark_node *n)
{
	struct doc	*d = sc->d;

	if (!node_is_leaf(n) && ++sc->depth > NEST_MAX) {
		diag_error(d->path, cmark_node_get_start_line(n),
		    cmark_node_get_start_column(n), "nesting deeper than %d "
		    "levels", NEST_MAX);
		return -1;
	}
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_HEADING:
		add_heading(d, n, &sc->hcap, &sc->text);
		break;
	case CMARK_NODE_LINK:
		sc->links++;
		add_link(d, n, &sc->lcap, sc->cell_line, sc->cell_col);
		break;
	case CMARK_NODE_IMAGE:
		add_link(d, n, &sc->lcap, sc->cell_line, sc->cell_col);
		break;
	case CMARK_NODE_CUSTOM_BLOCK:
		scan_table(sc, n);
		scan_footnote(sc, n);
		break;
	case CMARK_NODE_TEXT:
		scan_text(sc, n);
		break;
	case CMARK_NODE_CODE_BLOCK:
		if (code_command(cmark_node_get_literal(n)))
			diag_warn(d->path, cmark_node_get_start_line(n),
			    cmark_node_get_start_column(n), "mdBook's {{#...}} "
			    "commands are not supported; the text is shown as "
			    "written");
		if (add_block(d, n, &sc->bcap) == -1)
			return 1;
		break;
	case CMARK_NODE_HTML_BLOCK:
		html_judge_block(sc->b, d, n, new_html(sc));
		break;
	case CMARK_NODE_HTML_INLINE:
		scan_inline_html(sc, n);
		break;
	default:
		break;
	}
	return 0;
}

/* The title: the first level-1 heading, and the first with text. */
static void
find_title(struct doc *d)
{
	size_t	 k;

	d->title_head = (size_t)-1;
	for (k = 0; k < d->nheads; k++)
		if (d->heads[k].level == 1) {
			d->title_head = k;
			break;
		}
	for (k = 0; k < d->nheads; k++)
		if (d->heads[k].level == 1 && d->heads[k].text[0] != '\0') {
			d->title = xstrdup(d->heads[k].text);
			break;
		}
}

/*
 * One walk over a fresh tree: refuse nesting deeper than NEST_MAX
 * (hostile input, and every consumer downstream has limits of its own),
 * give every heading its id, record every link, judge every code block
 * and every piece of raw HTML, find the title.
 */
static int
doc_scan(struct book *b, struct doc *d)
{
	struct scan		 sc;
	cmark_iter		*it;
	cmark_event_type	 ev;
	int			 rc = 0, r;

	memset(&sc, 0, sizeof(sc));
	sc.b = b;
	sc.d = d;
	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev == CMARK_EVENT_EXIT) {
			scan_exit(&sc, cmark_iter_get_node(it));
			continue;
		}
		if ((r = scan_enter(&sc, cmark_iter_get_node(it))) != 0)
			rc = -1;
		if (r == -1)
			break;		/* too deep: stop here */
	}
	cmark_iter_free(it);
	buf_free(&sc.text);
	free(sc.raw);
	if (codeinfo_check(d->path, d->root, d->blocks, d->nblocks,
	    d->number) == -1)
		rc = -1;
	find_title(d);
	return rc;
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

/* After the parse: headings, links and the index's terms. */
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
 * the first parse (about four times their source: 4 MB for the guides'
 * 1 MB, measured as peak RSS); a larger book keeps only its text and
 * parses each chapter again when something opens it (the index, the
 * figures, each back end: four parses instead of one, 46% more
 * instructions on the guides), so its memory stays a small multiple of
 * its size.
 */
#define KEEP_TREES_MAX	((size_t)4 * 1024 * 1024)

/* After the first parse: keep the tree, or free it until doc_open. */
static void
doc_unload(const struct book *b, struct doc *d)
{
	if (b->source_bytes <= KEEP_TREES_MAX) {
		d->keep = 1;
		return;
	}
	if (d->root != NULL && d->opened == 0) {
		unparse(d);
	}
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

	doc_free(&b->index);
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
load_chapters(struct book *b)
{
	size_t	*weight, *order;
	size_t	 i, j, k, bytes, max;
	int	 rc = 0;

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
			if (doc_finish(b, &b->chapters[k]) == -1)
				rc = -1;
			doc_unload(b, &b->chapters[k]);
		}
	}
	free(weight);
	return rc;
}

int
book_load(struct book *b, const char *path, time_t epoch, int flags)
{
	const char	*base;
	size_t		 i;
	int		 rc = 0;

	memset(b, 0, sizeof(*b));
	b->epoch = epoch;
	b->dir = path_dir(path);
	base = strrchr(path, '/');
	b->index.path = xstrdup(path);
	b->index.rel = xstrdup(base ? base + 1 : path);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, NULL, 0, IN_INDEX) == -1)
		rc = b->index_failed = -1;
	if (b->index.root == NULL)
		return -1;		/* unreadable: nothing to list */
	b->source_bytes = b->index.len;
	if (summary_chapters(b) == -1)
		rc = -1;
	doc_unload(b, &b->index);
	if (load_chapters(b) == -1)
		rc = -1;
	/* On: every problem of the book is reported in one run. */
	book_defaults(b);
	if ((flags & BOOK_MAN) && check_names(b) == -1)
		rc = -1;
	doc_resolve(b, &b->index);
	for (i = 0; i < b->nchapters; i++)
		doc_resolve(b, &b->chapters[i]);
	return rc == -1 || diag_errors ? -1 : 0;
}

/* Is st the file at path?  (path may be NULL.) */
static int
same_file(const struct stat *st, const char *path)
{
	struct stat	 other;

	return path != NULL && stat(path, &other) == 0 &&
	    other.st_dev == st->st_dev && other.st_ino == st->st_ino;
}

const char *
book_input(const struct book *b, const char *path)
{
	struct stat	 st;
	size_t		 i;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return NULL;
	if (same_file(&st, b->index.path))
		return b->index.path;
	for (i = 0; i < b->nchapters; i++)
		if (same_file(&st, b->chapters[i].path))
			return b->chapters[i].path;
	if (same_file(&st, b->stylesheet))
		return b->stylesheet;
	if (same_file(&st, b->cover))
		return b->cover;
	for (i = 0; i < b->nimages; i++)
		if (same_file(&st, b->images[i]->path))
			return b->images[i]->path;
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
	b->index.path = xstrdup(name);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, data, len, IN_BOTH) == -1)
		return -1;
	b->source_bytes = len;
	doc_unload(b, &b->index);
	book_defaults(b);
	doc_resolve(b, &b->index);
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
	b->index.path = xstrdup(path);
	b->index.part = NO_PART;
	if (doc_load(b, &b->index, NULL, 0, IN_BOTH) == -1)
		return -1;
	b->source_bytes = b->index.len;
	doc_unload(b, &b->index);
	book_defaults(b);
	doc_resolve(b, &b->index);
	return diag_errors ? -1 : 0;
}
