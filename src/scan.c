/*
 * The scan of a freshly parsed chapter: heading ids (GitHub's slugs,
 * made unique), links and images recorded for resolving, code blocks
 * judged (codeinfo.c), raw HTML judged (html.c), nesting limited, the
 * title found.  Part of the loader: its diagnostics carry file:line:col.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "footnote.h"
#include "gfm.h"
#include "html.h"
#include "load.h"
#include "table.h"

/* Nesting deeper than this is an error: no back end is handed it. */
#define NEST_MAX	1000

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
int
doc_id_taken(const struct doc *d, const char *id)
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
	    !doc_id_taken(d, name))
		base = xstrdup(name);
	else {
		if (c != NULL && is_id(c, &name))
			diag_warn(d->path, cmark_node_get_start_line(n),
			    cmark_node_get_start_column(n), "heading id '%s' "
			    "is already taken in this document", name);
		base = slugify(str_trim(text->ptr));
	}
	id = xstrdup(base);
	for (k = 1; doc_id_taken(d, id); k++) {
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
int
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

