/*
 * man(7) renderer for a cmark tree.  The tree is walked with cmark_iter;
 * the switch on node type only dispatches.  All text goes through
 * roff_escape(); this file decides structure: which macro opens each
 * block, how fonts nest (restored by name, never with \fP), and how
 * links become .UR/.UE or references to other pages.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "footnote.h"
#include "gfm.h"
#include "html.h"
#include "bookindex.h"
#include "roff.h"
#include "roff_escape.h"
#include "table.h"

enum ctx_kind { CTX_QUOTE, CTX_LIST, CTX_ITEM };

struct block_ctx {
	enum ctx_kind	 kind;
	int		 indent;	/* CTX_LIST, CTX_ITEM: tag width */
	int		 number;	/* CTX_LIST: next item number */
	int		 ordered;
};

enum font { F_R, F_I, F_B, F_BI, F_CR };

static const char *const font_esc[] = {
	"\\fR", "\\fI", "\\fB", "\\f(BI", "\\f(CR"
};

struct roff_writer {
	const struct book	*b;
	const struct doc	*d;
	struct roff_w		 w;
	int			 need;		/* next block needs a break */
	int			 desc;		/* .SH DESCRIPTION not yet out */
	int			 in_heading;	/* 1: .SH/.SS text, 2: bold */
	int			 in_cell;	/* in a table cell (T{ ... T}) */
	int			 table_list;	/* this table is shown as a list */
	cmark_node		*heads[128];	/* its header cells (COLS_MAX) */
	cmark_node		**notes;	/* footnote blocks by number */
	int			 nnotes;
	unsigned char		*noted;		/* 1: pending, 2: printed */
	int			*pending;	/* referenced, not yet printed */
	int			 npending;
	int			 cells;		/* cells of the row so far */
	int			 upper;
	cmark_node		*skip_subtree;	/* ignore events inside */
	cmark_node		*skip_text;	/* text whose start was used */
	size_t			 skip_bytes;
	enum font		*fonts;
	size_t			 nfonts, capfonts;
	struct block_ctx		*ctx;
	size_t			 nctx, capctx;
};

static void	walk(struct roff_writer *, cmark_node *);
static void	flush_notes(struct roff_writer *, int);
static void	note_ref(struct roff_writer *, cmark_node *);

static void
font_set(struct roff_writer *r, enum font f)
{
	if (r->in_heading == 1)
		return;		/* .SH and .SS choose their own font */
	roff_raw(&r->w, font_esc[f]);
}

static enum font
font_top(const struct roff_writer *r)
{
	return r->nfonts ? r->fonts[r->nfonts - 1] : F_R;
}

static void
font_push(struct roff_writer *r, cmark_node_type t)
{
	enum font	 top = font_top(r), f;

	if (t == CMARK_NODE_CODE)
		f = F_CR;
	else if (t == CMARK_NODE_STRONG)
		f = (top == F_I || top == F_BI) ? F_BI : F_B;
	else
		f = (top == F_B || top == F_BI) ? F_BI : F_I;
	if (r->nfonts == r->capfonts) {
		r->capfonts = r->capfonts ? r->capfonts * 2 : 16;
		r->fonts = xreallocarray(r->fonts, r->capfonts,
		    sizeof(*r->fonts));
	}
	r->fonts[r->nfonts++] = f;
	if (f != top)
		font_set(r, f);
}

static void
font_pop(struct roff_writer *r)
{
	enum font	 was = font_top(r);

	if (r->nfonts > 0)
		r->nfonts--;
	if (font_top(r) != was)
		font_set(r, font_top(r));
}

static void
ctx_push(struct roff_writer *r, enum ctx_kind kind, int indent)
{
	if (r->nctx == r->capctx) {
		r->capctx = r->capctx ? r->capctx * 2 : 16;
		r->ctx = xreallocarray(r->ctx, r->capctx, sizeof(*r->ctx));
	}
	memset(&r->ctx[r->nctx], 0, sizeof(r->ctx[0]));
	r->ctx[r->nctx].kind = kind;
	r->ctx[r->nctx].indent = indent;
	r->nctx++;
}

static struct block_ctx *
ctx_top(struct roff_writer *r)
{
	return r->nctx ? &r->ctx[r->nctx - 1] : NULL;
}

static void
text(struct roff_writer *r, const char *s, int flags)
{
	roff_escape(&r->w, s, strlen(s), flags | (r->upper ? RE_UPPER : 0));
}

/*
 * The break before a block: nothing right after .SH, .SS or an item's
 * tag; .IP (paragraphs) or .sp (anything else) inside a list item;
 * .PP elsewhere.
 */
/*
 * In a table cell, a text that ends where a name may break (". / ,")
 * and runs on into the next inline ("`a`/`b`") breaks there too, as
 * the cell's width assumes.
 */
static void
cell_break(struct roff_writer *r, cmark_node *n, const char *lit)
{
	size_t	 len = strlen(lit);

	if (r->in_cell && len > 0 && strchr("./,", lit[len - 1]) != NULL &&
	    cmark_node_next(n) != NULL && !r->w.bol)
		roff_raw(&r->w, "\\:");
}

/* Text before the first section goes under DESCRIPTION. */
static void
open_description(struct roff_writer *r)
{
	if (r->desc) {
		roff_macro(&r->w, ".SH DESCRIPTION");
		r->desc = 0;
		r->need = 0;
	}
}

static void
block_start(struct roff_writer *r, int para)
{
	struct block_ctx	*c = ctx_top(r);

	open_description(r);
	if (!r->need) {
		r->need = 1;
		return;
	}
	if (c != NULL && c->kind == CTX_ITEM)
		roff_macro(&r->w, para ? ".IP" : ".sp");
	else
		roff_macro(&r->w, ".PP");
}

static void
code_block(struct roff_writer *r, cmark_node *n)
{
	const struct codeinfo	*ci = node_code(n);
	const char		*lit = cmark_node_get_literal(n);
	const char		*line, *eol;
	size_t			 len;

	block_start(r, 0);
	if (ci != NULL && ci->label != NULL) {
		/* "Output:", or "Figure 3.2: the caption" above a drawing. */
		roff_raw(&r->w, "\\fI");
		text(r, ci->label, 0);
		roff_raw(&r->w, ":");
		if (ci->kind == CODE_DIAGRAM && ci->caption != NULL) {
			roff_raw(&r->w, " ");
			text(r, ci->caption, 0);
		}
		roff_raw(&r->w, "\\fR");
		roff_eol(&r->w);
	}
	roff_macro(&r->w, ".RS 4");
	roff_macro(&r->w, ".EX");
	for (line = lit; *line != '\0'; line = eol + 1) {
		eol = strchr(line, '\n');
		len = eol ? (size_t)(eol - line) : strlen(line);
		while (len > 0 && (line[len - 1] == ' ' ||
		    line[len - 1] == '\t'))
			len--;
		roff_escape(&r->w, line, len, RE_NOFILL | RE_LITERAL);
		buf_putc(r->w.out, '\n');
		r->w.bol = 1;
		if (eol == NULL)
			break;
	}
	roff_macro(&r->w, ".EE");
	roff_macro(&r->w, ".RE");
	r->need = 1;
}

/*
 * Raw HTML blocks: their text as a paragraph, a line for each of its
 * paragraphs, list items and table rows (html.c sets the lines).
 */
static void
html_block(struct roff_writer *r, cmark_node *n)
{
	const struct html	*h = node_html(n);
	const char		*s, *eol;
	char			*line;

	if (h == NULL || h->kind != HTML_BLOCK || h->text[0] == '\0')
		return;
	block_start(r, 1);
	for (s = h->text; ; s = eol + 1) {
		eol = strchr(s, '\n');
		line = eol ? xstrndup(s, (size_t)(eol - s)) : xstrdup(s);
		text(r, line, 0);
		free(line);
		roff_eol(&r->w);
		if (eol == NULL)
			break;
		roff_macro(&r->w, ".br");
	}
}

/* Inline raw HTML: tags carry no text, but a line break and an image do. */
static void
html_inline(struct roff_writer *r, cmark_node *n)
{
	const struct html	*h = node_html(n);

	if (h == NULL || h->kind != HTML_VOID)
		return;
	if (strcmp((const char *)h->node->name, "br") == 0 && !r->in_heading)
		roff_macro(&r->w, ".br");
	else if (strcmp((const char *)h->node->name, "img") == 0 ||
	    strcmp((const char *)h->node->name, "span") == 0) {
		font_push(r, CMARK_NODE_EMPH);
		text(r, h->text[0] ? "[Image: " : "[Image", 0);
		text(r, h->text, 0);
		text(r, "]", 0);
		font_pop(r);
	}
}

static int
is_title(const struct roff_writer *r, cmark_node *n)
{
	return node_heading(n) != NULL && node_heading(n) == doc_title(r->d);
}

static void
heading_enter(struct roff_writer *r, cmark_node *n)
{
	int	 level = cmark_node_get_heading_level(n);

	if (is_title(r, n) || (node_heading(n) != NULL &&
	    node_heading(n)->text[0] == '\0')) {
		r->skip_subtree = n;	/* the title, or nothing to show */
		return;
	}
	if (r->nctx == 0 && level <= 3) {
		if (level <= 2)
			flush_notes(r, 0);
		if (level == 3)
			open_description(r);
		r->desc = 0;
		roff_macro(&r->w, level <= 2 ? ".SH" : ".SS");
		r->in_heading = 1;
		r->upper = level <= 2;
		return;
	}
	block_start(r, 1);
	r->in_heading = 2;
	font_push(r, CMARK_NODE_STRONG);
}

static void
heading_exit(struct roff_writer *r)
{
	if (r->in_heading == 2) {
		font_pop(r);
		roff_macro(&r->w, ".br");
	}
	roff_eol(&r->w);
	r->in_heading = 0;
	r->upper = 0;
	r->need = 0;
}

/* The section name a reference shows: as the heading is displayed. */
static void
ref_section(struct roff_writer *r, const struct heading *h)
{
	int	 upper = r->upper;

	roff_raw(&r->w, "\\(lq");
	r->upper = h->level <= 2;
	text(r, h->text, 0);
	r->upper = upper;
	roff_raw(&r->w, "\\(rq");
}

static void
ref_page(struct roff_writer *r, const struct doc *d)
{
	if (r->in_heading != 1)
		roff_raw(&r->w, "\\fB");
	text(r, d->man, RE_LITERAL | RE_NAME);
	if (r->in_heading != 1)
		roff_raw(&r->w, font_esc[font_top(r)]);
	roff_raw(&r->w, "(7)");
}

/* Is the link an autolink, its text its URL? */
static int
is_autolink(cmark_node *n)
{
	cmark_node	*c = cmark_node_first_child(n);
	const char	*url = cmark_node_get_url(n), *t;

	if (c == NULL || cmark_node_next(c) != NULL ||
	    cmark_node_get_type(c) != CMARK_NODE_TEXT)
		return c == NULL;
	t = cmark_node_get_literal(c);
	return strcmp(t, url) == 0 || (strncmp(url, "mailto:", 7) == 0 &&
	    strcmp(t, url + 7) == 0);
}

/* A URL in text, in angle brackets; long ones may break after / and . */
static void
show_url(struct roff_writer *r, const char *url)
{
	roff_raw(&r->w, "\\(la");
	text(r, url, RE_LITERAL | RE_NAME);
	roff_raw(&r->w, "\\(ra");
}

static void
link_enter(struct roff_writer *r, cmark_node *n)
{
	const struct link	*l = node_link(n);
	const char		*url = cmark_node_get_url(n);

	if (l == NULL || l->kind != LINK_EXTERNAL || r->in_heading)
		return;
	if (is_autolink(n)) {
		/* The address is the text: show it once, in brackets. */
		show_url(r, strncmp(url, "mailto:", 7) == 0 ? url + 7 : url);
		r->skip_subtree = n;
		return;
	}
	if (r->in_cell)
		return;		/* a table cell: the URL follows the text */
	/* Text right before the link ("(", a quote) stays attached. */
	if (!r->w.bol && r->w.out->len > 0 &&
	    r->w.out->ptr[r->w.out->len - 1] != ' ')
		roff_raw(&r->w, "\\c");
	roff_eol(&r->w);
	roff_raw(&r->w, ".UR ");
	roff_escape(&r->w, l->href, strlen(l->href), RE_ARG | RE_LITERAL |
	    RE_NAME);
	roff_eol(&r->w);
}

/* Is the link's text the heading's own?  Then "see" would repeat it. */
static int
names_heading(cmark_node *link, const struct heading *h)
{
	struct buf	 t = { NULL, 0, 0 };
	int		 same;

	book_node_text(link, &t);
	same = t.ptr != NULL && strcasecmp(str_trim(t.ptr), h->text) == 0;
	buf_free(&t);
	return same;
}

static void
link_exit(struct roff_writer *r, cmark_node *n)
{
	const struct link	*l = node_link(n);
	cmark_node		*next;
	const char		*t;
	size_t			 k;

	if (l == NULL || r->in_heading)
		return;
	if (l->kind == LINK_DOC && l->doc == r->d) {
		if (l->heading != NULL && l->heading != doc_title(r->d) &&
		    !names_heading(n, l->heading)) {
			roff_raw(&r->w, " (see ");
			ref_section(r, l->heading);
			roff_raw(&r->w, ")");
		} else if (l->figure != NULL) {
			roff_raw(&r->w, " (see ");
			text(r, l->figure->label ? l->figure->label : "the "
			    "figure", 0);
			roff_raw(&r->w, ")");
		}
		return;
	}
	if (l->kind == LINK_DOC) {
		roff_raw(&r->w, " (");
		ref_page(r, l->doc);
		if (l->heading != NULL && l->heading != doc_title(l->doc) &&
		    !names_heading(n, l->heading)) {
			roff_raw(&r->w, ", ");
			ref_section(r, l->heading);
		}
		roff_raw(&r->w, ")");
		return;
	}
	if (l->kind != LINK_EXTERNAL || is_autolink(n))
		return;
	if (r->in_cell) {
		roff_raw(&r->w, " ");
		show_url(r, cmark_node_get_url(n));
		return;
	}
	/* Punctuation right after the link rides on .UE. */
	roff_eol(&r->w);
	roff_raw(&r->w, ".UE");
	next = cmark_node_next(n);
	if (next != NULL && cmark_node_get_type(next) == CMARK_NODE_TEXT) {
		t = cmark_node_get_literal(next);
		k = strcspn(t, " \t");
		if (k > 0) {
			roff_raw(&r->w, " ");
			roff_escape(&r->w, t, k, RE_ARG);
			r->skip_text = next;
			r->skip_bytes = k;
		}
	}
	roff_eol(&r->w);
}

static void
list_enter(struct roff_writer *r, cmark_node *n)
{
	struct block_ctx	*c = ctx_top(r);
	cmark_node	*i;
	int		 last, width = 2;
	char		 num[32];

	open_description(r);
	if (c != NULL && c->kind == CTX_ITEM) {
		snprintf(num, sizeof(num), ".RS %d", c->indent);
		roff_macro(&r->w, num);
	}
	if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST) {
		last = cmark_node_get_list_start(n);
		for (i = cmark_node_first_child(n); i; i = cmark_node_next(i))
			last++;
		width = snprintf(num, sizeof(num), "%d.", last) + 1;
		if (width < 4)
			width = 4;
	}
	ctx_push(r, CTX_LIST, width);
	c = ctx_top(r);
	c->ordered = cmark_node_get_list_type(n) == CMARK_ORDERED_LIST;
	c->number = cmark_node_get_list_start(n);
}

static void
list_exit(struct roff_writer *r)
{
	struct block_ctx	*c;

	r->nctx--;
	c = ctx_top(r);
	if (c != NULL && c->kind == CTX_ITEM)
		roff_macro(&r->w, ".RE");
	r->need = 1;
}

static void
item_enter(struct roff_writer *r)
{
	struct block_ctx	*list = ctx_top(r);
	char		 m[64];

	if (list->ordered)
		snprintf(m, sizeof(m), ".IP \"%d.\" %d", list->number++,
		    list->indent);
	else
		snprintf(m, sizeof(m), ".IP \\(bu %d", list->indent);
	roff_macro(&r->w, m);
	ctx_push(r, CTX_ITEM, list->indent);
	r->need = 0;
}

/*
 * A table, for tbl(1): every cell is a text block (T{ ... T}) of a
 * width worked out here, so that long cells wrap; the header row is
 * bold and ruled off; cells of a row are separated by tabs.  No box:
 * tbl cannot split a boxed table across pages.  A table whose longest
 * words do not fit side by side in the text width becomes a list, a
 * paragraph per row with each cell after its header.  Links in cells
 * show their URL after the text: tbl's text blocks take no .UR.
 */
#define TEXT_WIDTH	71	/* 78 columns less man's 7-column indent */
#define COL_GAP		3	/* tbl's default column separation */
#define COLS_MAX	128

/* Columns of text, and of its longest word that cannot break. */
static void
measure(const char *s, int *len, int *word)
{
	int	 run = 0;

	const char	*start = s;

	*len = *word = 0;
	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xC0) == 0x80)
			continue;		/* UTF-8 continuation */
		++*len;
		run = *s == ' ' ? 0 : run + 1;
		if (run > *word)
			*word = run;
		/* Where roff_escape lets a name break (RE_NAME). */
		if (*s == '.' || *s == '/' || *s == ',' || (*s == '-' &&
		    s > start && isalnum((unsigned char)s[-1]) &&
		    isalpha((unsigned char)s[1])))
			run = 0;
	}
	/*
	 * In ens: a terminal's character is one, but typesetters (groff's
	 * default device, which the linters use) set constant-width text
	 * at 1.2 ens.  One more for tbl's rounding.
	 */
	*len = (*len * 6 + 4) / 5 + 1;
	*word = (*word * 6 + 4) / 5 + 1;
}

/*
 * The text a cell will show: its own, and what links add to it (the
 * page a link leads to, or a URL).  For widths only.
 */
static void
cell_text(const struct roff_writer *r, cmark_node *cell, struct buf *out)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	const struct link	*l;

	it = cmark_iter_new(cell);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			if (ev == CMARK_EVENT_ENTER)
				buf_puts(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_LINK:
			if (ev != CMARK_EVENT_EXIT || (l = node_link(n)) ==
			    NULL)
				break;
			if (l->kind == LINK_DOC && l->doc != r->d)
				buf_printf(out, " (%s(7))", l->doc->man);
			else if (l->kind == LINK_EXTERNAL)
				buf_printf(out, " <%s>", l->href);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

/* The relative indent of the text here: list items and quotes. */
static int
indent_here(const struct roff_writer *r)
{
	size_t	 i;
	int	 in = 0;

	for (i = 0; i < r->nctx; i++)
		if (r->ctx[i].kind != CTX_LIST)
			in += r->ctx[i].indent;
	return in;
}

/*
 * Widths for the columns of a table (w, ncols of them), or -1 when its
 * words cannot fit side by side.
 */
static int
table_widths(const struct roff_writer *r, cmark_node *table, int *w, int ncols)
{
	int		 minw[COLS_MAX] = { 0 }, maxw[COLS_MAX] = { 0 };
	int		 avail, summin = 0, spread = 0, len, word, i;
	cmark_node	*part, *row, *cell;
	struct buf	 t = { NULL, 0, 0 };

	for (part = cmark_node_first_child(table); part != NULL;
	    part = cmark_node_next(part))
		for (row = cmark_node_first_child(part); row != NULL;
		    row = cmark_node_next(row))
			for (cell = cmark_node_first_child(row), i = 0;
			    cell != NULL && i < ncols;
			    cell = cmark_node_next(cell), i++) {
				buf_reset(&t);
				cell_text(r, cell, &t);
				measure(t.ptr ? t.ptr : "", &len, &word);
				minw[i] = word > minw[i] ? word : minw[i];
				maxw[i] = len > maxw[i] ? len : maxw[i];
			}
	buf_free(&t);
	avail = TEXT_WIDTH - indent_here(r) - COL_GAP * (ncols - 1);
	for (i = 0; i < ncols; i++) {
		if (minw[i] < 1)
			minw[i] = maxw[i] = 1;
		summin += minw[i];
		spread += maxw[i] - minw[i];
	}
	if (summin > avail)
		return -1;
	/* What is left goes to the columns that would wrap most. */
	for (i = 0; i < ncols; i++)
		w[i] = minw[i] + (spread == 0 ? 0 : (int)((long)(avail -
		    summin) * (maxw[i] - minw[i]) / spread));
	for (i = 0; i < ncols; i++)
		if (w[i] > maxw[i])
			w[i] = maxw[i];
	return 0;
}

static void
table_start(struct roff_writer *r, cmark_node *table)
{
	cmark_node	*head, *row, *cell;
	char		 align, key[48];
	int		 w[COLS_MAX], col, line, k, i, ncols = 0;

	head = cmark_node_first_child(table);
	row = head ? cmark_node_first_child(head) : NULL;
	for (cell = row ? cmark_node_first_child(row) : NULL; cell != NULL &&
	    ncols < COLS_MAX; cell = cmark_node_next(cell))
		r->heads[ncols++] = cell;
	r->table_list = ncols == 0 || table_widths(r, table, w, ncols) == -1;
	if (r->table_list) {
		r->skip_subtree = head;		/* its cells label the rows */
		return;
	}
	block_start(r, 0);
	roff_macro(&r->w, ".TS");
	for (k = 0; k < 2; k++) {
		for (i = 0; i < ncols; i++) {
			table_cell(r->heads[i], &align, &col, &line);
			snprintf(key, sizeof(key), "%c%sw(%dn)%s",
			    align == 'c' ? 'c' : align == 'r' ? 'r' : 'l',
			    k == 0 ? "b" : "", w[i], i + 1 < ncols ? " " : "");
			buf_puts(r->w.out, key);
		}
		buf_puts(r->w.out, k == 0 ? "\n" : ".\n");
	}
	r->w.bol = 1;
}

/* A row of a table shown as a list: "Header: cell", a line each. */
static void
list_cell(struct roff_writer *r, int i)
{
	if (i > 0)
		roff_macro(&r->w, ".br");
	if (i < COLS_MAX && r->heads[i] != NULL) {
		font_push(r, CMARK_NODE_STRONG);
		walk(r, r->heads[i]);
		text(r, ":", 0);
		font_pop(r);
		text(r, " ", 0);
	}
}

static void
table_enter(struct roff_writer *r, cmark_node *n)
{
	const char	*kind = table_kind(n);

	if (kind == NULL)
		return;
	if (strcmp(kind, "table") == 0)
		table_start(r, n);
	else if (strcmp(kind, "tr") == 0) {
		r->cells = 0;
		if (r->table_list)
			block_start(r, 1);
	} else if (strcmp(kind, "th") == 0 || strcmp(kind, "td") == 0) {
		if (r->table_list) {
			list_cell(r, r->cells++);
			return;
		}
		if (r->cells++ > 0)
			buf_putc(r->w.out, '\t');
		r->w.bol = 0;
		roff_raw(&r->w, "T{");
		roff_eol(&r->w);
		r->in_cell = 1;
	}
}

static void
table_exit(struct roff_writer *r, cmark_node *n)
{
	const char	*kind = table_kind(n);

	if (kind == NULL)
		return;
	if (r->table_list) {
		if (strcmp(kind, "tr") == 0)
			roff_eol(&r->w);
		else if (strcmp(kind, "table") == 0) {
			r->table_list = 0;
			r->need = 1;
		}
		return;
	}
	if (strcmp(kind, "th") == 0 || strcmp(kind, "td") == 0) {
		roff_eol(&r->w);
		buf_puts(r->w.out, "T}");
		r->w.bol = 0;
		r->in_cell = 0;
	} else if (strcmp(kind, "tr") == 0) {
		roff_eol(&r->w);
		/* The header row is ruled off from the body. */
		if (strcmp(table_kind(cmark_node_parent(n)), "thead") == 0)
			roff_macro(&r->w, "_");
	} else if (strcmp(kind, "table") == 0) {
		roff_macro(&r->w, ".TE");
		r->need = 1;
	}
}

/*
 * GitHub's extensions in a terminal: struck text keeps its tildes, a
 * task its box, an alert its label in bold.
 */
static void
gfm_enter(struct roff_writer *r, cmark_node *n)
{
	const char	*value = NULL, *kind = gfm_kind(n, &value);

	if (kind == NULL)
		return;
	if (strcmp(kind, "del") == 0)
		text(r, "~~", 0);
	else if (strcmp(kind, "task") == 0)
		text(r, value && *value == 'x' ? "[x] " : "[ ] ", 0);
	else if (strcmp(kind, "alert") == 0) {
		font_push(r, CMARK_NODE_STRONG);
		text(r, value ? value : "Note", 0);
		text(r, ":", 0);
		font_pop(r);
		text(r, " ", 0);
	}
}

/* Does a paragraph hold only tags of raw HTML, nothing to show? */
static int
invisible(cmark_node *para)
{
	const struct html	*h;
	cmark_node		*c;

	for (c = cmark_node_first_child(para); c; c = cmark_node_next(c)) {
		if (cmark_node_get_type(c) == CMARK_NODE_SOFTBREAK)
			continue;
		if (cmark_node_get_type(c) != CMARK_NODE_HTML_INLINE)
			return 0;
		if ((h = node_html(c)) != NULL && h->kind == HTML_VOID)
			return 0;
	}
	return 1;
}

static void
enter(struct roff_writer *r, cmark_node *n)
{
	cmark_node_type	 t = cmark_node_get_type(n);

	switch (t) {
	case CMARK_NODE_BLOCK_QUOTE:
		/* .PP first: it also ends the indent of a list before. */
		block_start(r, 0);
		roff_macro(&r->w, ".RS 4");
		ctx_push(r, CTX_QUOTE, 4);
		r->need = 0;
		break;
	case CMARK_NODE_LIST:
		list_enter(r, n);
		break;
	case CMARK_NODE_ITEM:
		item_enter(r);
		break;
	case CMARK_NODE_PARAGRAPH:
		if (invisible(n))
			r->skip_subtree = n;	/* an anchor, a comment */
		else
			block_start(r, 1);
		break;
	case CMARK_NODE_HEADING:
		heading_enter(r, n);
		break;
	case CMARK_NODE_EMPH:
	case CMARK_NODE_STRONG:
		font_push(r, t);
		break;
	case CMARK_NODE_LINK:
		link_enter(r, n);
		break;
	case CMARK_NODE_IMAGE:
		/* The description, labelled: "[Image: a diagram]". */
		font_push(r, CMARK_NODE_EMPH);
		text(r, cmark_node_first_child(n) ? "[Image: " : "[Image", 0);
		break;
	case CMARK_NODE_CUSTOM_BLOCK:
		table_enter(r, n);
		break;
	case CMARK_NODE_CUSTOM_INLINE:
		note_ref(r, n);
		gfm_enter(r, n);
		break;
	default:
		break;
	}
}

static void
leave(struct roff_writer *r, cmark_node *n)
{
	const char	*kind;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_BLOCK_QUOTE:
		r->nctx--;
		roff_macro(&r->w, ".RE");
		r->need = 1;
		break;
	case CMARK_NODE_LIST:
		list_exit(r);
		break;
	case CMARK_NODE_ITEM:
		r->nctx--;
		r->need = 1;
		break;
	case CMARK_NODE_PARAGRAPH:
		roff_eol(&r->w);
		break;
	case CMARK_NODE_HEADING:
		heading_exit(r);
		break;
	case CMARK_NODE_EMPH:
	case CMARK_NODE_STRONG:
		font_pop(r);
		break;
	case CMARK_NODE_LINK:
		link_exit(r, n);
		break;
	case CMARK_NODE_IMAGE:
		text(r, "]", 0);
		font_pop(r);
		break;
	case CMARK_NODE_CUSTOM_BLOCK:
		table_exit(r, n);
		break;
	case CMARK_NODE_CUSTOM_INLINE:
		if ((kind = gfm_kind(n, NULL)) != NULL &&
		    strcmp(kind, "del") == 0)
			text(r, "~~", 0);
		break;
	default:
		break;
	}
}

static void
leaf(struct roff_writer *r, cmark_node *n)
{
	const char	*lit;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_TEXT:
		lit = cmark_node_get_literal(n);
		if (n == r->skip_text) {
			lit += r->skip_bytes;
			r->skip_text = NULL;
		}
		/* A narrow cell breaks long words where names do. */
		text(r, lit, r->in_cell ? RE_NAME : 0);
		cell_break(r, n, lit);
		break;
	case CMARK_NODE_CODE:
		/* Code keeps its case, even in an upper-case heading. */
		font_push(r, CMARK_NODE_CODE);
		lit = cmark_node_get_literal(n);
		roff_escape(&r->w, lit, strlen(lit), RE_LITERAL | RE_NAME);
		font_pop(r);
		cell_break(r, n, lit);
		break;
	case CMARK_NODE_SOFTBREAK:
		if (r->in_heading)
			roff_raw(&r->w, " ");
		else
			roff_eol(&r->w);
		break;
	case CMARK_NODE_LINEBREAK:
		if (r->in_heading)
			roff_raw(&r->w, " ");
		else
			roff_macro(&r->w, ".br");
		break;
	case CMARK_NODE_CODE_BLOCK:
		code_block(r, n);
		break;
	case CMARK_NODE_HTML_BLOCK:
		html_block(r, n);
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		block_start(r, 1);
		roff_raw(&r->w, "\\(em\\ \\(em\\ \\(em");
		roff_eol(&r->w);
		break;
	case CMARK_NODE_HTML_INLINE:
		html_inline(r, n);
		break;
	default:
		break;
	}
}


static void
quoted(struct roff_writer *r, const char *s, int flags)
{
	roff_raw(&r->w, " \"");
	roff_escape(&r->w, s, strlen(s), RE_ARG | flags);
	roff_raw(&r->w, "\"");
}

/*
 * The header line is NAME(7), the manual's name centred, NAME(7), in 78
 * columns; groff prints overlapping text where they do not fit.  The
 * manual's name gives way: cut after a word, or left out.  Counts
 * bytes, which is as wide as it gets.  Caller frees.
 */
static char *
header_center(const char *name, const char *manual)
{
	size_t	 room, side = strlen(name) + 3, n;

	room = 2 * side + 4 < 78 ? 78 - 2 * side - 4 : 0;
	if (strlen(manual) <= room)
		return xstrdup(manual);
	for (n = room; n > 0 && manual[n] != ' '; n--)
		;
	return n >= 8 ? xstrndup(manual, n) : xstrdup("");
}

static void
header(struct roff_writer *r)
{
	const struct doc	*d = r->d;
	const struct book	*b = r->b;
	char			*source, *manual;
	size_t			 i;

	roff_raw(&r->w, ".TH");
	quoted(r, d->man, RE_UPPER);
	roff_raw(&r->w, " 7");
	quoted(r, d->date ? d->date : b->date, 0);
	source = b->version ? xasprintf("%s %s", b->summary.man, b->version) :
	    xstrdup(b->summary.man);
	quoted(r, source, 0);
	free(source);
	manual = header_center(d->man, b->manual);
	quoted(r, manual, 0);
	free(manual);
	roff_eol(&r->w);
	/*
	 * Ragged right and no hyphenation, as mandoc renders anyway: code
	 * and page names are never split by a hyphen, and groff never has
	 * to stretch a line around a long one.  groff 1.23 and later set
	 * both again at every paragraph, from the page's HY register and
	 * AD string: without them a table cell or a line of a URL that has
	 * no space to stretch is a warning under -ww.
	 */
	roff_macro(&r->w, ".nh");
	roff_macro(&r->w, ".ad l");
	roff_macro(&r->w, ".nr HY 0");
	roff_macro(&r->w, ".ds AD l");
	roff_macro(&r->w, ".SH NAME");
	text(r, d->man, RE_LITERAL);
	for (i = 0; i < d->naliases; i++) {
		roff_raw(&r->w, ", ");
		text(r, d->aliases[i], RE_LITERAL);
	}
	roff_raw(&r->w, " \\- ");
	text(r, d->description, 0);
	roff_eol(&r->w);
}

/* pyinternals(7) INDEX: each term and the pages that explain it. */
static void
write_bookindex(struct roff_writer *r)
{
	const struct bookindex	*ix = r->b->bookindex;
	const struct doc	*d;
	size_t			 i, j, k;

	if (ix == NULL || ix->n == 0)
		return;
	roff_macro(&r->w, ".SH INDEX");
	for (i = 0; i < ix->n; i++) {
		const struct bookindex_term *t = &ix->terms[i];

		roff_macro(&r->w, ".TP");
		if (t->code)
			roff_raw(&r->w, "\\f(CR");
		roff_escape(&r->w, t->text, strlen(t->text),
		    t->code ? RE_LITERAL | RE_NAME : 0);
		if (t->code)
			roff_raw(&r->w, "\\fR");
		roff_eol(&r->w);
		for (j = 0; j < t->nrefs; j++) {
			d = t->refs[j].doc;
			for (k = 0; k < j; k++)
				if (t->refs[k].doc == d)
					break;
			if (k < j)
				continue;	/* page already named */
			if (j > 0)
				roff_raw(&r->w, ", ");
			roff_raw(&r->w, "\\fB");
			roff_escape(&r->w, d->man, strlen(d->man),
			    RE_LITERAL | RE_NAME);
			roff_raw(&r->w, "\\fR(7)");
		}
		roff_eol(&r->w);
	}
}

static int
cmp_man(const void *a, const void *b)
{
	const struct doc *const *x = a, *const *y = b;

	return strcmp((*x)->man, (*y)->man);
}

static void
see_also(struct roff_writer *r)
{
	const struct doc	**list;
	size_t			  n = 0, i;

	list = xcalloc(r->b->nchapters + 1, sizeof(*list));
	if (r->d == &r->b->summary)
		for (i = 0; i < r->b->nchapters; i++)
			list[n++] = &r->b->chapters[i];
	else {
		if (!r->b->standalone)
			list[n++] = &r->b->summary;
		for (i = 0; i < r->d->nsee_also; i++)
			list[n++] = r->d->see_also[i];
	}
	qsort(list, n, sizeof(*list), cmp_man);
	if (n > 0)
		roff_macro(&r->w, ".SH SEE ALSO");
	for (i = 0; i < n; i++) {
		roff_raw(&r->w, ".BR ");
		text(r, list[i]->man, RE_LITERAL);
		roff_raw(&r->w, i + 1 < n ? " (7),\n" : " (7)\n");
	}
	free(list);
}

/*
 * Walk a subtree with the handlers.  Footnotes are not walked where
 * they stand (the end of the document): flush_notes prints them.
 */
static void
walk(struct roff_writer *r, cmark_node *root)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	int			 num, k;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (r->skip_subtree != NULL) {
			if (n == r->skip_subtree && ev == CMARK_EVENT_EXIT) {
				r->skip_subtree = NULL;
				if (cmark_node_get_type(n) == CMARK_NODE_LINK)
					link_exit(r, n);
			}
			continue;
		}
		if (n == root)
			continue;
		if (ev == CMARK_EVENT_ENTER &&
		    footnote_of(n, &num, &k) == FOOTNOTE_NOTE) {
			cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
			continue;
		}
		if (ev == CMARK_EVENT_ENTER && node_is_leaf(n))
			leaf(r, n);
		else if (ev == CMARK_EVENT_ENTER)
			enter(r, n);
		else
			leave(r, n);
	}
	cmark_iter_free(it);
}

/* The footnote blocks of the document, by number. */
static void
find_notes(struct roff_writer *r, cmark_node *root)
{
	cmark_node	*n;
	int		 num, k;

	for (n = cmark_node_first_child(root); n != NULL;
	    n = cmark_node_next(n))
		if (footnote_of(n, &num, &k) == FOOTNOTE_NOTE &&
		    num > r->nnotes)
			r->nnotes = num;
	if (r->nnotes == 0)
		return;
	r->notes = xcalloc((size_t)r->nnotes + 1, sizeof(*r->notes));
	r->noted = xcalloc((size_t)r->nnotes + 1, 1);
	r->pending = xcalloc((size_t)r->nnotes + 1, sizeof(*r->pending));
	for (n = cmark_node_first_child(root); n != NULL;
	    n = cmark_node_next(n))
		if (footnote_of(n, &num, &k) == FOOTNOTE_NOTE)
			r->notes[num] = n;
}

/*
 * The notes referred to since the last flush, at the end of a section
 * (all that are left, at the end of the page): "[1] text" each.
 */
static void
flush_notes(struct roff_writer *r, int all)
{
	char	 m[64];
	int	 num, i;

	for (i = 1; all && i <= r->nnotes; i++)
		if (r->noted[i] == 0) {
			r->noted[i] = 1;
			r->pending[r->npending++] = i;
		}
	if (r->npending == 0)
		return;
	block_start(r, 0);
	roff_raw(&r->w, "\\fINotes:\\fR");
	roff_eol(&r->w);
	for (i = 0; i < r->npending; i++) {
		num = r->pending[i];
		r->noted[num] = 2;
		snprintf(m, sizeof(m), ".IP \"[%d]\" 5", num);
		roff_macro(&r->w, m);
		ctx_push(r, CTX_ITEM, 5);
		r->need = 0;
		walk(r, r->notes[num]);
		r->nctx--;
	}
	r->npending = 0;
	r->need = 1;
}

/* A reference: [N], and the note joins those to print. */
static void
note_ref(struct roff_writer *r, cmark_node *n)
{
	char	 s[32];
	int	 num, k;

	if (footnote_of(n, &num, &k) != FOOTNOTE_REF || num > r->nnotes)
		return;
	snprintf(s, sizeof(s), "[%d]", num);
	text(r, s, 0);
	if (r->noted[num] == 0) {
		r->noted[num] = 1;
		r->pending[r->npending++] = num;
	}
}

void
roff_page(const struct book *b, const struct doc *d, struct buf *out)
{
	struct roff_writer		 r;
	struct buf		 body = { NULL, 0, 0 };
	size_t			 th_len;

	memset(&r, 0, sizeof(r));
	r.b = b;
	r.d = d;
	r.w.out = &body;
	r.w.bol = 1;
	header(&r);
	/* .TH first; the glyph fallbacks go after it, once we know them. */
	th_len = strcspn(body.ptr, "\n") + 1;
	r.desc = 1;
	doc_open(d);
	find_notes(&r, d->root);
	walk(&r, d->root);
	flush_notes(&r, 1);
	doc_close(d);
	if (d == &b->summary)
		write_bookindex(&r);
	see_also(&r);
	roff_eol(&r.w);
	/* man(1) runs tbl(1) on a page whose first line says so. */
	if (d->tables > 0)
		BUF_LIT(out, "'\\\" t\n");
	buf_put(out, body.ptr, th_len);
	roff_fallbacks(&r.w, out);
	buf_put(out, body.ptr + th_len, body.len - th_len);
	buf_free(&body);
	free(r.fonts);
	free(r.ctx);
	free(r.notes);
	free(r.noted);
	free(r.pending);
}

void
roff_alias(const struct doc *d, struct buf *out)
{
	buf_printf(out, ".so man7/%s.7\n", d->man);
}
