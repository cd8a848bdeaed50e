/*
 * GitHub-style pipe tables on libcmark, which has none: a paragraph
 * whose lines are a header row, a delimiter row (|---|:--:|) and body
 * rows becomes a table, read again from the source lines (cmark's own
 * inline parse of the paragraph does not know cells).  Each cell's text
 * is parsed alone as inline Markdown.
 *
 * A table is a tree of custom blocks, told apart by their on_enter
 * string: "table" > "thead"/"tbody" > "tr" > "th"/"td" > inlines.  A
 * cell's on_exit holds its alignment and where it starts ("r:17:40":
 * right aligned, column 17 of line 40); a row's on_exit holds its line, after a "+" when
 * the source row had more cells than the header (they are left out;
 * the loader warns).
 * Lines before the header row stay a paragraph.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tree.h"
#include "util.h"

#define CELLS_MAX	128	/* columns: more is not a table */

/* One line of the paragraph's source, its container markers removed. */
struct line {
	const char	*s;
	size_t		 len;
	int		 lineno;
	int		 col;		/* 1-based column of s in the file */
};

/* A cell of a row, in the source. */
struct cell {
	const char	*s;
	size_t		 len;
	int		 col;
};

/* How many block quotes the node sits in. */
static int
quote_depth(cmark_node *n)
{
	int	 depth = 0;

	for (n = cmark_node_parent(n); n != NULL; n = cmark_node_parent(n))
		if (cmark_node_get_type(n) == CMARK_NODE_BLOCK_QUOTE)
			depth++;
	return depth;
}

/*
 * The source lines from..to (1-based) of text, each without its
 * block-quote markers (depth of them) and surrounding blanks.
 * Returns how many were found; *out is caller-freed.
 */
static size_t
source_lines(const char *text, int from, int to, int depth,
    struct line **out)
{
	const char	*s = text, *eol;
	struct line	*l;
	size_t		 n = 0;
	int		 lineno, q;

	*out = xcalloc((size_t)(to - from + 1), sizeof(**out));
	for (lineno = 1; lineno < from && s != NULL; lineno++)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	for (; s != NULL && lineno <= to; lineno++) {
		eol = strchr(s, '\n');
		l = &(*out)[n++];
		l->lineno = lineno;
		l->s = s;
		l->len = eol ? (size_t)(eol - s) : strlen(s);
		for (q = 0; q <= depth; q++) {
			while (l->len > 0 && (*l->s == ' ' || *l->s == '\t')) {
				l->s++;
				l->len--;
			}
			if (q < depth && l->len > 0 && *l->s == '>') {
				l->s++;
				l->len--;
			}
		}
		while (l->len > 0 && (l->s[l->len - 1] == ' ' ||
		    l->s[l->len - 1] == '\t' || l->s[l->len - 1] == '\r'))
			l->len--;
		l->col = (int)(l->s - s) + 1;
		s = eol ? eol + 1 : NULL;
	}
	return n;
}

/*
 * Split a row into cells at pipes that are not escaped; a leading and
 * a trailing pipe are optional.  Returns the number of cells (at most
 * max; *more set when there were more), or 0 when the line has no pipe.
 */
static size_t
split_row(const struct line *l, struct cell *cells, size_t max, int *more)
{
	const char	*s = l->s, *end = l->s + l->len, *start;
	size_t		 n = 0;
	int		 pipes = 0;

	*more = 0;
	if (s < end && *s == '|') {
		s++;
		pipes++;
	}
	for (start = s; s <= end; s++) {
		if (s < end && *s == '\\' && s + 1 < end) {
			s++;
			continue;
		}
		if (s < end && *s != '|')
			continue;
		if (s < end)
			pipes++;
		if (s == end && s == start && pipes > 0 && end[-1] == '|')
			break;		/* the trailing pipe */
		if (n == max) {
			*more = 1;
			break;
		}
		cells[n].s = start;
		cells[n].len = (size_t)(s - start);
		while (cells[n].len > 0 && (*cells[n].s == ' ' ||
		    *cells[n].s == '\t')) {
			cells[n].s++;
			cells[n].len--;
		}
		while (cells[n].len > 0 && (cells[n].s[cells[n].len - 1] ==
		    ' ' || cells[n].s[cells[n].len - 1] == '\t'))
			cells[n].len--;
		cells[n].col = l->col + (int)(cells[n].s - l->s);
		n++;
		start = s + 1;
	}
	return pipes > 0 ? n : 0;
}

/* A delimiter cell (":--", "---", "--:", ":-:"): its alignment, or 0. */
static char
delimiter(const struct cell *c)
{
	const char	*s = c->s, *end = c->s + c->len;
	int		 left = 0, right = 0, dashes = 0;

	if (s < end && *s == ':') {
		left = 1;
		s++;
	}
	while (s < end && *s == '-') {
		dashes++;
		s++;
	}
	if (s < end && *s == ':') {
		right = 1;
		s++;
	}
	if (s != end || dashes == 0)
		return 0;
	return left && right ? 'c' : right ? 'r' : left ? 'l' : '-';
}

/* A piece of Markdown parsed into nodes a tree may take in. */
static cmark_node *
parse_piece(const char *s, size_t len)
{
	cmark_parser	*p;
	cmark_node	*doc;

	p = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, tree_mem());
	cmark_parser_feed(p, s, len);
	doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	return doc;
}

/*
 * Parse a cell's text as inline Markdown and move the inlines into
 * cell.  The text is parsed after "x ", so that it cannot start a block
 * (a "# " or "- " cell stays text); the "x " is removed again.  Its
 * nodes are at line 1, column 3 on: the cell's on_exit says where that
 * is in the file.
 */
static void
fill_cell(cmark_node *cell, const struct cell *c)
{
	struct buf	 src = { NULL, 0, 0 };
	cmark_node	*doc, *para, *n, *next;
	const char	*lit;
	size_t		 i;

	BUF_LIT(&src, "x ");
	for (i = 0; i < c->len; i++) {
		if (c->s[i] == '\\' && i + 1 < c->len && c->s[i + 1] == '|')
			continue;	/* \| is a pipe in the cell */
		buf_putc(&src, c->s[i]);
	}
	doc = parse_piece(src.ptr, src.len);
	buf_free(&src);
	para = cmark_node_first_child(doc);
	if (para != NULL && cmark_node_get_type(para) == CMARK_NODE_PARAGRAPH) {
		for (n = cmark_node_first_child(para); n != NULL; n = next) {
			next = cmark_node_next(n);
			cmark_node_append_child(cell, n);
		}
		n = cmark_node_first_child(cell);
		lit = n ? cmark_node_get_literal(n) : NULL;
		if (lit != NULL && cmark_node_get_type(n) == CMARK_NODE_TEXT &&
		    strncmp(lit, "x ", 2) == 0) {
			if (lit[2] == '\0')
				cmark_node_free(n);
			else {
				char *rest = xstrdup(lit + 2);
				cmark_node_set_literal(n, rest);
				free(rest);
			}
		}
	}
	cmark_node_free(doc);
}

static cmark_node *
custom(cmark_node *parent, const char *kind)
{
	cmark_node	*n = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, tree_mem());

	cmark_node_set_on_enter(n, kind);
	cmark_node_append_child(parent, n);
	return n;
}

/* One row: cells up to the header's count, the missing ones empty. */
static void
add_row(cmark_node *parent, const struct line *l, const char *align,
    size_t ncols, int header)
{
	struct cell	 cells[CELLS_MAX];
	cmark_node	*row, *cell;
	char		 where[32];
	size_t		 n, i;
	int		 more;

	n = split_row(l, cells, ncols, &more);
	if (n == 0 && l->len > 0) {		/* a row without a pipe */
		cells[0].s = l->s;
		cells[0].len = l->len;
		cells[0].col = l->col;
		n = 1;
	}
	row = custom(parent, "tr");
	snprintf(where, sizeof(where), "%s%d", more ? "+" : "", l->lineno);
	cmark_node_set_on_exit(row, where);
	for (i = 0; i < ncols; i++) {
		cell = custom(row, header ? "th" : "td");
		snprintf(where, sizeof(where), "%c:%d:%d", align[i],
		    i < n ? cells[i].col : l->col, l->lineno);
		cmark_node_set_on_exit(cell, where);
		if (i < n && cells[i].len > 0)
			fill_cell(cell, &cells[i]);
	}
}

/* Lines from..to-1 as a paragraph of their own, put before node at. */
static void
leading_paragraph(cmark_node *at, const struct line *lines, size_t to)
{
	struct buf	 src = { NULL, 0, 0 };
	cmark_node	*doc, *n, *next;
	size_t		 i;
	int		 k;

	for (k = 1; k < lines[0].lineno; k++)
		buf_putc(&src, '\n');
	for (i = 0; i < to; i++) {
		buf_put(&src, lines[i].s, lines[i].len);
		buf_putc(&src, '\n');
	}
	doc = parse_piece(src.ptr, src.len);
	buf_free(&src);
	for (n = cmark_node_first_child(doc); n != NULL; n = next) {
		next = cmark_node_next(n);
		cmark_node_insert_before(at, n);
	}
	cmark_node_free(doc);
}

/*
 * The paragraph as a table, if it holds one: a header row and the
 * delimiter row with as many cells right below it.  Returns the table
 * node that replaced it, or NULL.
 */
static cmark_node *
table_of(cmark_node *para, const char *text)
{
	struct cell	 head[CELLS_MAX], delim[CELLS_MAX];
	struct line	*lines;
	cmark_node	*table, *part;
	char		 align[CELLS_MAX];
	size_t		 n, k, i, ncols = 0;
	int		 more;

	n = source_lines(text, cmark_node_get_start_line(para),
	    cmark_node_get_end_line(para), quote_depth(para), &lines);
	for (k = 1; k < n; k++) {
		ncols = split_row(&lines[k], delim, CELLS_MAX, &more);
		if (ncols == 0 || more ||
		    split_row(&lines[k - 1], head, CELLS_MAX, &more) != ncols)
			continue;
		for (i = 0; i < ncols && (align[i] = delimiter(&delim[i])); i++)
			;
		if (i == ncols)
			break;
	}
	if (k >= n) {
		free(lines);
		return NULL;
	}
	table = cmark_node_new_with_mem(CMARK_NODE_CUSTOM_BLOCK, tree_mem());
	cmark_node_set_on_enter(table, "table");
	cmark_node_insert_before(para, table);
	if (k > 1)
		leading_paragraph(table, lines, k - 1);
	add_row(custom(table, "thead"), &lines[k - 1], align, ncols, 1);
	if (k + 1 < n) {
		part = custom(table, "tbody");
		for (i = k + 1; i < n; i++)
			add_row(part, &lines[i], align, ncols, 0);
	}
	cmark_node_free(para);
	free(lines);
	return table;
}

void
table_transform(cmark_node *root, const char *text)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, **paras = NULL;
	size_t			 np = 0, cap = 0, i;
	const char		*lit;

	/* First find them: the tree must not change under the iterator. */
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER ||
		    cmark_node_get_type(n) != CMARK_NODE_PARAGRAPH)
			continue;
		/* A table needs a pipe in its first child's text. */
		for (n = cmark_node_first_child(n); n != NULL;
		    n = cmark_node_next(n))
			if (cmark_node_get_type(n) == CMARK_NODE_TEXT &&
			    (lit = cmark_node_get_literal(n)) != NULL &&
			    strchr(lit, '|') != NULL)
				break;
		if (n == NULL)
			continue;
		if (np == cap) {
			cap = cap ? cap * 2 : 16;
			paras = xreallocarray(paras, cap, sizeof(*paras));
		}
		paras[np++] = cmark_node_parent(n);
	}
	cmark_iter_free(it);
	for (i = 0; i < np; i++)
		table_of(paras[i], text);
	free(paras);
}

int
table_cell(cmark_node *n, char *align, int *col, int *line)
{
	const char	*kind, *where;

	if (cmark_node_get_type(n) != CMARK_NODE_CUSTOM_BLOCK ||
	    (kind = cmark_node_get_on_enter(n)) == NULL ||
	    (strcmp(kind, "th") != 0 && strcmp(kind, "td") != 0))
		return 0;
	where = cmark_node_get_on_exit(n);
	*align = where && *where ? where[0] : '-';
	*col = *line = 0;
	if (where != NULL)
		sscanf(where + 1, ":%d:%d", col, line);
	return 1;
}

const char *
table_kind(cmark_node *n)
{
	const char	*kind;

	if (cmark_node_get_type(n) != CMARK_NODE_CUSTOM_BLOCK ||
	    (kind = cmark_node_get_on_enter(n)) == NULL)
		return NULL;
	if (strcmp(kind, "table") == 0 || strcmp(kind, "thead") == 0 ||
	    strcmp(kind, "tbody") == 0 || strcmp(kind, "tr") == 0 ||
	    strcmp(kind, "th") == 0 || strcmp(kind, "td") == 0)
		return kind;
	return NULL;
}
