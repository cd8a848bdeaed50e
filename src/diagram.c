/*
 * Text drawings as SVG: the drawing is read into a grid of cells, each
 * cell judged once (line, corner, arrowhead, text or blank) in a few
 * linear passes, and the writers walk the verdicts.  No recursion: the
 * one pass that spreads (corners joining corners) uses a work list.
 * Coordinates are integers in tenths of a pixel, so the output is the
 * same on every machine.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diagram.h"

enum kind {
	K_BLANK,
	K_TEXT,
	K_HLINE,		/* - */
	K_VLINE,		/* | */
	K_CORNER,		/* + joining lines */
	K_ARROW_E,		/* > */
	K_ARROW_W,		/* < */
	K_ARROW_S,		/* v V */
	K_ARROW_N		/* ^ */
};

/*
 * Arms of a corner, from the cell centre; of a |, towards a - beside it
 * (ARM_W, ARM_E) or on to the centre of a - above or below (ARM_N,
 * ARM_S).
 */
#define ARM_N	0x01
#define ARM_E	0x02
#define ARM_S	0x04
#define ARM_W	0x08
/* An arrowhead's tip reaches the centre of the line it points at. */
#define TIP_FAR	0x10
/* A box-drawing corner: its arms come with the character. */
#define FIXED	0x20

struct cell {
	uint32_t	 cp;		/* code point; ' ' when blank */
	unsigned char	 kind;		/* enum kind */
	unsigned char	 arms;		/* ARM_*, TIP_FAR */
};

struct diagram {
	struct cell	*cells;		/* every row's cells in turn */
	size_t		 ncells;
	size_t		 capcells;
	size_t		*row;		/* row r: cells[row[r]] to [row[r + 1]] */
	size_t		 rows;
	size_t		 caprows;
	size_t		 cols;
};

/*
 * Geometry in tenths of a pixel: a cell is 8.4 x 18 px for a 14 px
 * monospace font, with half a cell of padding around the drawing.
 */
#define CELL_W	84
#define CELL_H	180
#define PAD_X	(CELL_W / 2)
#define PAD_Y	(CELL_H / 2)
#define BASELINE 130		/* text baseline below a cell's top */
#define ARROW_L	70		/* arrowhead: length along its line */
#define ARROW_H	35		/* and half its width */

typedef unsigned long long	coord;

static const struct cell	 blank_cell = { ' ', K_BLANK, 0 };

/*
 * Unicode box drawing (light lines, corners, tees and arcs) and the
 * black triangles are line art whatever surrounds them.
 */
static const struct {
	uint32_t	 cp;
	unsigned char	 kind;
	unsigned char	 arms;
} boxchars[] = {
	{ 0x2500, K_HLINE, 0 },				/* light horizontal */
	{ 0x2502, K_VLINE, 0 },				/* light vertical */
	{ 0x250C, K_CORNER, ARM_E | ARM_S },		/* down and right */
	{ 0x2510, K_CORNER, ARM_W | ARM_S },		/* down and left */
	{ 0x2514, K_CORNER, ARM_N | ARM_E },		/* up and right */
	{ 0x2518, K_CORNER, ARM_N | ARM_W },		/* up and left */
	{ 0x251C, K_CORNER, ARM_N | ARM_S | ARM_E },	/* vertical and right */
	{ 0x2524, K_CORNER, ARM_N | ARM_S | ARM_W },	/* vertical and left */
	{ 0x252C, K_CORNER, ARM_W | ARM_E | ARM_S },	/* down and horizontal */
	{ 0x2534, K_CORNER, ARM_W | ARM_E | ARM_N },	/* up and horizontal */
	{ 0x253C, K_CORNER, ARM_N | ARM_E | ARM_S | ARM_W }, /* cross */
	{ 0x256D, K_CORNER, ARM_E | ARM_S },		/* arc down and right */
	{ 0x256E, K_CORNER, ARM_W | ARM_S },		/* arc down and left */
	{ 0x256F, K_CORNER, ARM_N | ARM_W },		/* arc up and left */
	{ 0x2570, K_CORNER, ARM_N | ARM_E },		/* arc up and right */
	{ 0x25B2, K_ARROW_N, 0 },			/* up triangle */
	{ 0x25B6, K_ARROW_E, 0 },			/* right triangle */
	{ 0x25BC, K_ARROW_S, 0 },			/* down triangle */
	{ 0x25C0, K_ARROW_W, 0 }			/* left triangle */
};

/*
 * The cell at row r, column c, or a blank one outside the drawing.  At
 * the top and left edges r - 1 and c - 1 wrap to SIZE_MAX (unsigned,
 * well defined), which is outside too.
 */
static const struct cell *
at(const struct diagram *d, size_t r, size_t c)
{
	if (r >= d->rows || c >= d->row[r + 1] - d->row[r])
		return &blank_cell;
	return &d->cells[d->row[r] + c];
}

static size_t
row_len(const struct diagram *d, size_t r)
{
	return d->row[r + 1] - d->row[r];
}

/*
 * Decode one code point at s (len > 0 bytes): any invalid, overlong or
 * truncated sequence is U+FFFD and uses one byte.  Stores the bytes
 * used in *n.  Reads nothing past len, whatever the input.
 */
static uint32_t
utf8_get(const unsigned char *s, size_t len, size_t *n)
{
	uint32_t	 c = s[0], min;
	size_t		 need, i;

	*n = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0xFFFD;
	if (len < need)
		return 0xFFFD;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0xFFFD;
	*n = need;
	return c;
}

/* Characters XML 1.0 does not allow (or we do not want) in text. */
static int
is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) ||
	    c == 0xFFFE || c == 0xFFFF;
}

/* Part of a word: an ASCII letter, digit or _, or anything not ASCII. */
static int
is_word(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static int
is_letter(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void
push_cell(struct diagram *d, uint32_t cp)
{
	if (d->ncells == d->capcells) {
		d->capcells = d->capcells ? d->capcells * 2 : 256;
		d->cells = xreallocarray(d->cells, d->capcells,
		    sizeof(*d->cells));
	}
	d->cells[d->ncells].cp = cp;
	d->cells[d->ncells].kind = cp == ' ' ? K_BLANK : K_TEXT;
	d->cells[d->ncells].arms = 0;
	d->ncells++;
}

/* End the current row at the current cell. */
static void
push_row(struct diagram *d)
{
	if (d->rows + 2 > d->caprows) {
		d->caprows = d->caprows ? d->caprows * 2 : 64;
		d->row = xreallocarray(d->row, d->caprows, sizeof(*d->row));
	}
	d->rows++;
	d->row[d->rows] = d->ncells;
	if (row_len(d, d->rows - 1) > d->cols)
		d->cols = row_len(d, d->rows - 1);
}

/*
 * Read the text into cells.  Blanks are held back until something
 * follows them on the line, so trailing blanks (and tabs) never take
 * memory.
 */
static void
load(struct diagram *d, const unsigned char *s, size_t len)
{
	size_t		 i = 0, n, col, pending;
	uint32_t	 cp;

	d->caprows = 64;
	d->row = xreallocarray(NULL, d->caprows, sizeof(*d->row));
	d->row[0] = 0;
	for (;;) {
		col = pending = 0;
		while (i < len && s[i] != '\n') {
			cp = utf8_get(s + i, len - i, &n);
			i += n;
			if (cp == '\t') {
				pending += 8 - col % 8;
				col += 8 - col % 8;
				continue;
			}
			if (cp == ' ' || cp == '\r' || cp == '\v' ||
			    cp == '\f') {
				pending++;
				col++;
				continue;
			}
			if (is_control(cp))
				cp = 0xFFFD;
			for (; pending > 0; pending--)
				push_cell(d, ' ');
			push_cell(d, cp);
			col++;
		}
		push_row(d);
		if (i >= len)
			break;
		i++;			/* the \n */
	}
	while (d->rows > 0 && row_len(d, d->rows - 1) == 0)
		d->rows--;
}

/*
 * Is a run of n dashes a line, with l and r the characters on either
 * side (' ' at the edges)?  Two or more are, except "--x" with no
 * + | or < before it (a command-line option, a dash in prose); one is
 * when it joins a + | < or > on one side and one of those or a blank
 * on the other: "+-+", "|- x", " -> ", but not "-X", "x-y", "a->b".
 */
static int
dash_run_is_line(size_t n, uint32_t l, uint32_t r)
{
	int	 lconn, rconn;

	if (n >= 2)
		return !(n == 2 && is_letter(r) &&
		    l != '+' && l != '|' && l != '<');
	lconn = l == '+' || l == '|' || l == '<';
	rconn = r == '+' || r == '|' || r == '>';
	return (lconn || rconn) && (lconn || l == ' ') &&
	    (rconn || r == ' ');
}

/* A box-drawing character: its kind and arms. */
static void
mark_box(struct cell *p)
{
	size_t	 i;

	for (i = 0; i < sizeof(boxchars) / sizeof(boxchars[0]); i++)
		if (boxchars[i].cp == p->cp) {
			p->kind = boxchars[i].kind;
			p->arms = boxchars[i].arms;
			if (p->kind == K_CORNER)
				p->arms |= FIXED;
			return;
		}
}

/* Pass 1: | and the dashes that are lines, and box drawing. */
static void
mark_lines(struct diagram *d)
{
	struct cell	*row;
	size_t		 r, c, e, n;
	uint32_t	 lc, rc;

	for (r = 0; r < d->rows; r++) {
		row = d->cells + d->row[r];
		n = row_len(d, r);
		for (c = 0; c < n; c = e) {
			e = c + 1;
			if (row[c].cp == '|')
				row[c].kind = K_VLINE;
			else if (row[c].cp >= 0x2500 && row[c].cp <= 0x25FF)
				mark_box(&row[c]);
			if (row[c].cp != '-')
				continue;
			while (e < n && row[e].cp == '-')
				e++;
			lc = c > 0 ? row[c - 1].cp : ' ';
			rc = e < n ? row[e].cp : ' ';
			if (dash_run_is_line(e - c, lc, rc))
				for (; c < e; c++)
					row[c].kind = K_HLINE;
		}
	}
}

/* Can a v or ^ stand on p: a vertical line, a box corner or a +? */
static int
is_stem(const struct cell *p)
{
	return p->kind == K_VLINE || p->kind == K_CORNER || p->cp == '+';
}

/* Pass 2: arrowheads, from the lines of pass 1 and the raw characters. */
static void
mark_arrows(struct diagram *d)
{
	const struct cell	*up, *down;
	struct cell		*p;
	size_t			 r, c;

	for (r = 0; r < d->rows; r++)
		for (c = 0; c < row_len(d, r); c++) {
			p = &d->cells[d->row[r] + c];
			up = at(d, r - 1, c);
			down = at(d, r + 1, c);
			switch (p->cp) {
			case '>':
				if (at(d, r, c - 1)->kind == K_HLINE)
					p->kind = K_ARROW_E;
				break;
			case '<':
				if (at(d, r, c + 1)->kind == K_HLINE)
					p->kind = K_ARROW_W;
				break;
			case 'v':
			case 'V':
				if (is_stem(up) &&
				    !is_word(at(d, r, c - 1)->cp) &&
				    !is_word(at(d, r, c + 1)->cp))
					p->kind = K_ARROW_S;
				break;
			case '^':
				if (is_stem(down))
					p->kind = K_ARROW_N;
				break;
			default:
				break;
			}
		}
}

/* Does the + at r, c touch a line or an arrowhead in line with it? */
static int
plus_touches(const struct diagram *d, size_t r, size_t c)
{
	int	 w = at(d, r, c - 1)->kind, e = at(d, r, c + 1)->kind;
	int	 n = at(d, r - 1, c)->kind, s = at(d, r + 1, c)->kind;

	return w == K_HLINE || w == K_ARROW_E ||
	    e == K_HLINE || e == K_ARROW_W ||
	    n == K_VLINE || n == K_ARROW_N || n == K_ARROW_S ||
	    s == K_VLINE || s == K_ARROW_N || s == K_ARROW_S;
}

struct work {
	struct pos {
		size_t	 r;
		size_t	 c;
	}		*pos;
	size_t		 n;
	size_t		 cap;
};

static void
work_push(struct work *w, size_t r, size_t c)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->pos = xreallocarray(w->pos, w->cap, sizeof(*w->pos));
	}
	w->pos[w->n].r = r;
	w->pos[w->n++].c = c;
}

/*
 * Pass 3: corners.  A + touching a line or an arrowhead is one, and so
 * is a + next to a corner (the side of a box where two dividers meet
 * it: "+\n+") or to a box-drawing corner.  The spreading goes through
 * a work list, not recursion; each + joins it at most once.
 */
static void
mark_corners(struct diagram *d)
{
	static const int	 dr[4] = { -1, 0, 1, 0 };
	static const int	 dc[4] = { 0, 1, 0, -1 };
	struct work		 w = { NULL, 0, 0 };
	struct pos		 p;
	struct cell		*q;
	size_t			 r, c;
	int			 i;

	for (r = 0; r < d->rows; r++)
		for (c = 0; c < row_len(d, r); c++) {
			q = &d->cells[d->row[r] + c];
			if (q->kind != K_CORNER) {
				if (q->cp != '+' || !plus_touches(d, r, c))
					continue;
				q->kind = K_CORNER;
			}
			work_push(&w, r, c);
		}
	while (w.n > 0) {
		p = w.pos[--w.n];
		for (i = 0; i < 4; i++) {
			/* -1 wraps to SIZE_MAX at the edges: outside. */
			r = p.r + (size_t)dr[i];
			c = p.c + (size_t)dc[i];
			if (r >= d->rows || c >= row_len(d, r))
				continue;
			q = &d->cells[d->row[r] + c];
			if (q->cp != '+' || q->kind != K_TEXT)
				continue;
			q->kind = K_CORNER;
			work_push(&w, r, c);
		}
	}
	free(w.pos);
}

/*
 * Pass 4: which way each corner reaches (not towards an arrowhead that
 * points at it: that one draws up to the centre itself); the arms a |
 * grows towards a - beside it, and how it reaches up or down to the
 * centre of a - above or below it (a line leaving a box's side); the
 * arrowheads that point at a line and so reach its centre.
 */
static void
mark_arms(struct diagram *d)
{
	struct cell	*p;
	size_t		 r, c;
	int		 w, e, n, s;

	for (r = 0; r < d->rows; r++)
		for (c = 0; c < row_len(d, r); c++) {
			p = &d->cells[d->row[r] + c];
			w = at(d, r, c - 1)->kind;
			e = at(d, r, c + 1)->kind;
			n = at(d, r - 1, c)->kind;
			s = at(d, r + 1, c)->kind;
			switch (p->kind) {
			case K_CORNER:
				if (p->arms & FIXED)
					break;
				if (n == K_VLINE || n == K_ARROW_N ||
				    n == K_CORNER)
					p->arms |= ARM_N;
				if (s == K_VLINE || s == K_ARROW_S ||
				    s == K_CORNER)
					p->arms |= ARM_S;
				if (w == K_HLINE || w == K_CORNER)
					p->arms |= ARM_W;
				if (e == K_HLINE || e == K_CORNER)
					p->arms |= ARM_E;
				break;
			case K_VLINE:
				if (w == K_HLINE)
					p->arms |= ARM_W;
				if (e == K_HLINE)
					p->arms |= ARM_E;
				if (n == K_HLINE)
					p->arms |= ARM_N;
				if (s == K_HLINE)
					p->arms |= ARM_S;
				break;
			case K_ARROW_E:
				if (e == K_VLINE || e == K_CORNER)
					p->arms |= TIP_FAR;
				break;
			case K_ARROW_W:
				if (w == K_VLINE || w == K_CORNER)
					p->arms |= TIP_FAR;
				break;
			case K_ARROW_S:
				if (s == K_HLINE || s == K_CORNER)
					p->arms |= TIP_FAR;
				break;
			case K_ARROW_N:
				if (n == K_HLINE || n == K_CORNER)
					p->arms |= TIP_FAR;
				break;
			default:
				break;
			}
		}
}

struct diagram *
diagram_parse(const char *text, size_t len)
{
	struct diagram	*d;

	d = xcalloc(1, sizeof(*d));
	load(d, (const unsigned char *)text, len);
	/* Exactly the cells: a read past the last one is a sanitizer report. */
	d->cells = xreallocarray(d->cells, d->ncells, sizeof(*d->cells));
	d->capcells = d->ncells;
	mark_lines(d);
	mark_arrows(d);
	mark_corners(d);
	mark_arms(d);
	return d;
}

void
diagram_free(struct diagram *d)
{
	if (d == NULL)
		return;
	free(d->cells);
	free(d->row);
	free(d);
}

size_t
diagram_columns(const struct diagram *d)
{
	return d->cols;
}

size_t
diagram_rows(const struct diagram *d)
{
	return d->rows;
}

/* ------------------------------------------------------------------ */
/* Output. */

/* A length in tenths of a pixel, shortest form: "12", "12.6". */
static void
put_num(struct buf *b, coord v)
{
	if (v % 10)
		buf_printf(b, "%llu.%llu", v / 10, v % 10);
	else
		buf_printf(b, "%llu", v / 10);
}

/* Code point c as UTF-8, escaped for XML text and attributes if xml. */
static void
put_cp(struct buf *b, uint32_t c, int xml)
{
	char	 u[4];

	if (xml && c == '&')
		BUF_LIT(b, "&amp;");
	else if (xml && c == '<')
		BUF_LIT(b, "&lt;");
	else if (xml && c == '>')
		BUF_LIT(b, "&gt;");
	else if (xml && c == '"')
		BUF_LIT(b, "&quot;");
	else if (c < 0x80)
		buf_putc(b, (int)c);
	else if (c < 0x800) {
		u[0] = (char)(0xC0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3F));
		buf_put(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		buf_put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3F));
		u[2] = (char)(0x80 | (c >> 6 & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		buf_put(b, u, 4);
	}
}

/* The left and top edges of a cell; its centre is half a cell on. */
static coord
left(size_t c)
{
	return PAD_X + (coord)c * CELL_W;
}

static coord
top(size_t r)
{
	return PAD_Y + (coord)r * CELL_H;
}

/*
 * Where an arrowhead's tip is: the far edge of its cell, or the centre
 * of the line beyond when it points at one (TIP_FAR).
 */
static coord
tip_x(const struct cell *p, size_t c)
{
	if (p->kind == K_ARROW_E)
		return left(c + 1) + (p->arms & TIP_FAR ? CELL_W / 2 : 0);
	return left(c) - (p->arms & TIP_FAR ? CELL_W / 2 : 0);
}

static coord
tip_y(const struct cell *p, size_t r)
{
	if (p->kind == K_ARROW_S)
		return top(r + 1) + (p->arms & TIP_FAR ? CELL_H / 2 : 0);
	return top(r) - (p->arms & TIP_FAR ? CELL_H / 2 : 0);
}

/*
 * The horizontal stroke of a cell, from *a to *b; 0 when it has none.
 * An arrowhead's line stops under its triangle.
 */
static int
hpiece(const struct cell *p, size_t c, coord *a, coord *b)
{
	coord	 l = left(c), m = l + CELL_W / 2, r = l + CELL_W;

	switch (p->kind) {
	case K_HLINE:
		*a = l;
		*b = r;
		return 1;
	case K_CORNER:
	case K_VLINE:
		if (!(p->arms & (ARM_W | ARM_E)))
			return 0;
		*a = p->arms & ARM_W ? l : m;
		*b = p->arms & ARM_E ? r : m;
		return 1;
	case K_ARROW_E:
		*a = l;
		*b = tip_x(p, c) - ARROW_L;
		return 1;
	case K_ARROW_W:
		*a = tip_x(p, c) + ARROW_L;
		*b = r;
		return 1;
	default:
		return 0;
	}
}

static int
vpiece(const struct cell *p, size_t r, coord *a, coord *b)
{
	coord	 t = top(r), m = t + CELL_H / 2, u = t + CELL_H;

	switch (p->kind) {
	case K_VLINE:
		*a = p->arms & ARM_N ? t - CELL_H / 2 : t;
		*b = p->arms & ARM_S ? u + CELL_H / 2 : u;
		return 1;
	case K_CORNER:
		if (!(p->arms & (ARM_N | ARM_S)))
			return 0;
		*a = p->arms & ARM_N ? t : m;
		*b = p->arms & ARM_S ? u : m;
		return 1;
	case K_ARROW_S:
		*a = t;
		*b = tip_y(p, r) - ARROW_L;
		return 1;
	case K_ARROW_N:
		*a = tip_y(p, r) + ARROW_L;
		*b = u;
		return 1;
	default:
		return 0;
	}
}

/* A stroke being drawn: pieces that touch or overlap are merged. */
struct seg {
	int	 open;
	coord	 at;		/* y of a horizontal one, x of a vertical */
	coord	 a;
	coord	 b;
};

static void
seg_flush(struct seg *s, int vertical, struct buf *out)
{
	if (!s->open)
		return;
	buf_putc(out, 'M');
	put_num(out, vertical ? s->at : s->a);
	buf_putc(out, ' ');
	put_num(out, vertical ? s->a : s->at);
	buf_putc(out, vertical ? 'V' : 'H');
	put_num(out, s->b);
	s->open = 0;
}

static void
seg_add(struct seg *s, int vertical, coord at_, coord a, coord b,
    struct buf *out)
{
	if (s->open && s->at == at_ && a <= s->b) {
		if (b > s->b)
			s->b = b;
		return;
	}
	seg_flush(s, vertical, out);
	s->open = 1;
	s->at = at_;
	s->a = a;
	s->b = b;
}

struct vpart {
	size_t	 c;
	coord	 a;
	coord	 b;
};

/*
 * Every stroke as M/H/V commands into out: rows top to bottom, then
 * columns left to right.  The vertical pieces are found row by row and
 * put in column order with a counting sort, so that the whole is
 * linear in the number of cells.
 */
static void
put_strokes(const struct diagram *d, struct buf *out)
{
	struct seg	 s = { 0, 0, 0, 0 };
	struct vpart	*v, *sorted;
	size_t		*start, nv = 0, r, c, i;
	const struct cell *p;
	coord		 a, b;

	v = xreallocarray(NULL, d->ncells, sizeof(*v));
	for (r = 0; r < d->rows; r++) {
		for (c = 0; c < row_len(d, r); c++) {
			p = &d->cells[d->row[r] + c];
			if (hpiece(p, c, &a, &b))
				seg_add(&s, 0, top(r) + CELL_H / 2, a, b,
				    out);
			if (vpiece(p, r, &a, &b)) {
				v[nv].c = c;
				v[nv].a = a;
				v[nv++].b = b;
			}
		}
		seg_flush(&s, 0, out);
	}

	start = xcalloc(d->cols + 1, sizeof(*start));
	for (i = 0; i < nv; i++)
		start[v[i].c + 1]++;
	for (c = 0; c < d->cols; c++)
		start[c + 1] += start[c];
	sorted = xreallocarray(NULL, nv, sizeof(*sorted));
	for (i = 0; i < nv; i++)
		sorted[start[v[i].c]++] = v[i];
	for (i = 0; i < nv; i++)
		seg_add(&s, 1, left(sorted[i].c) + CELL_W / 2,
		    sorted[i].a, sorted[i].b, out);
	seg_flush(&s, 1, out);
	free(sorted);
	free(start);
	free(v);
}

/* The arrowheads' triangles, tip first, as path commands into out. */
static void
put_heads(const struct diagram *d, struct buf *out)
{
	const struct cell	*p;
	size_t			 r, c;

	for (r = 0; r < d->rows; r++)
		for (c = 0; c < row_len(d, r); c++) {
			p = &d->cells[d->row[r] + c];
			if (p->kind < K_ARROW_E)
				continue;
			buf_putc(out, 'M');
			if (p->kind == K_ARROW_E || p->kind == K_ARROW_W) {
				put_num(out, tip_x(p, c));
				buf_putc(out, ' ');
				put_num(out, top(r) + CELL_H / 2);
				buf_puts(out, p->kind == K_ARROW_E ?
				    "l-" : "l");
				put_num(out, ARROW_L);
				buf_putc(out, '-');
				put_num(out, ARROW_H);
				buf_putc(out, 'v');
			} else {
				put_num(out, left(c) + CELL_W / 2);
				buf_putc(out, ' ');
				put_num(out, tip_y(p, r));
				buf_putc(out, 'l');
				buf_putc(out, '-');
				put_num(out, ARROW_H);
				buf_puts(out, p->kind == K_ARROW_S ?
				    "-" : " ");
				put_num(out, ARROW_L);
				buf_putc(out, 'h');
			}
			put_num(out, 2 * ARROW_H);
			buf_putc(out, 'z');
		}
}

/*
 * The end (one past) of the text run starting at column c of row r:
 * text cells, and single blanks between them.
 */
static size_t
run_end(const struct diagram *d, size_t r, size_t c)
{
	const struct cell	*row = d->cells + d->row[r];
	size_t			 n = row_len(d, r), e = c + 1;

	for (;;) {
		if (e < n && row[e].kind == K_TEXT)
			e++;
		else if (e + 1 < n && row[e].kind == K_BLANK &&
		    row[e + 1].kind == K_TEXT)
			e += 2;
		else
			return e;
	}
}

static void
put_texts(const struct diagram *d, struct buf *out)
{
	const struct cell	*row;
	size_t			 r, c, e, i;

	for (r = 0; r < d->rows; r++) {
		row = d->cells + d->row[r];
		for (c = 0; c < row_len(d, r); c = e) {
			e = c + 1;
			if (row[c].kind != K_TEXT)
				continue;
			e = run_end(d, r, c);
			BUF_LIT(out, "<text x=\"");
			put_num(out, left(c));
			BUF_LIT(out, "\" y=\"");
			put_num(out, top(r) + BASELINE);
			BUF_LIT(out, "\" textLength=\"");
			put_num(out, (coord)(e - c) * CELL_W);
			BUF_LIT(out, "\" lengthAdjust=\"spacingAndGlyphs\">");
			for (i = c; i < e; i++)
				put_cp(out, row[i].cp, 1);
			BUF_LIT(out, "</text>\n");
		}
	}
}

/* The title: UTF-8 of unknown quality, as XML text. */
static void
put_title(struct buf *out, const char *title)
{
	const unsigned char	*s = (const unsigned char *)title;
	size_t			 len = strlen(title), i, n;
	uint32_t		 c;

	BUF_LIT(out, "<title>");
	for (i = 0; i < len; i += n) {
		c = utf8_get(s + i, len - i, &n);
		if (c == '\t' || c == '\n' || c == '\r')
			c = ' ';
		else if (is_control(c))
			c = 0xFFFD;
		put_cp(out, c, 1);
	}
	BUF_LIT(out, "</title>\n");
}

/*
 * Close the element started at mark, whose content starts at body, with
 * end; or take it out again when it has no content.
 */
static void
end_element(struct buf *out, size_t mark, size_t body, const char *end)
{
	if (out->len == body) {
		out->len = mark;
		out->ptr[mark] = '\0';
	} else
		buf_puts(out, end);
}

void
diagram_svg(const struct diagram *d, const char *title, struct buf *out)
{
	coord	 w = (coord)(d->cols + 1) * CELL_W;
	coord	 h = (coord)(d->rows + 1) * CELL_H;
	size_t	 mark, body;

	BUF_LIT(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"");
	put_num(out, w);
	BUF_LIT(out, "\" height=\"");
	put_num(out, h);
	BUF_LIT(out, "\" viewBox=\"0 0 ");
	put_num(out, w);
	buf_putc(out, ' ');
	put_num(out, h);
	BUF_LIT(out, "\">\n");
	if (title != NULL)
		put_title(out, title);

	/* Each element only when it has something in it. */
	mark = out->len;
	BUF_LIT(out, "<path fill=\"none\" stroke=\"#000\" "
	    "stroke-width=\"1.2\" stroke-linecap=\"square\" d=\"");
	body = out->len;
	put_strokes(d, out);
	end_element(out, mark, body, "\"/>\n");

	mark = out->len;
	BUF_LIT(out, "<path fill=\"#000\" d=\"");
	body = out->len;
	put_heads(d, out);
	end_element(out, mark, body, "\"/>\n");

	mark = out->len;
	BUF_LIT(out, "<g font-family=\"'DejaVu Sans Mono','Liberation Mono',"
	    "monospace\" font-size=\"14\" fill=\"#000\">\n");
	body = out->len;
	put_texts(d, out);
	end_element(out, mark, body, "</g>\n");
	BUF_LIT(out, "</svg>\n");
}

void
diagram_words(const struct diagram *d, struct buf *out)
{
	const struct cell	*row;
	size_t			 r, c, e, i;
	int			 first = 1;

	for (r = 0; r < d->rows; r++) {
		row = d->cells + d->row[r];
		for (c = 0; c < row_len(d, r); c = e) {
			e = c + 1;
			if (row[c].kind != K_TEXT)
				continue;
			e = run_end(d, r, c);
			if (!first)
				buf_putc(out, ' ');
			first = 0;
			for (i = c; i < e; i++)
				put_cp(out, row[i].cp, 0);
		}
	}
}
