/*
 * Info strings of fenced code blocks: one parser for the whole program,
 * and the checks on sets of version-specific blocks.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codeinfo.h"

/* Where a word of the info string starts, for messages. */
struct info_at {
	const char	*path;
	const char	*text;		/* the document's source */
	int		 line;
	const char	*info;
};

/*
 * The column of the info string on its line of the source: after the
 * indent, the fence and the blanks.  Only messages need it.
 */
static int
info_column(const struct info_at *at)
{
	const char	*start = at->text, *s;
	int		 line;

	for (line = 1; line < at->line; line++) {
		if ((start = strchr(start, '\n')) == NULL)
			return 0;
		start++;
	}
	s = start + strspn(start, " \t>");
	s += strspn(s, *s == '~' ? "~" : "`");
	s += strspn(s, " \t");
	return (int)(s - start) + 1;
}

static void
bad_word(const struct info_at *at, const char *w, size_t len, const char *what,
    const char *expected)
{
	diag_error(at->path, at->line, info_column(at) + (int)(w - at->info),
	    "unknown %s attribute '%.*s' (expected %s)", what, (int)len, w,
	    expected);
}

/* "X.Y" of digits, 0.0 to 99.99, as X * 100 + Y; -1 if not one. */
static int
parse_version(const char *s, size_t n)
{
	size_t	 i, dot = 0;
	int	 major = 0, minor = 0, *cur = &major, digits = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '.' && !dot && digits > 0) {
			dot = 1;
			cur = &minor;
			digits = 0;
		} else if (isdigit((unsigned char)s[i]) && digits < 2) {
			*cur = *cur * 10 + (s[i] - '0');
			digits++;
		} else
			return -1;
	}
	return dot && digits > 0 ? major * 100 + minor : -1;
}

/* One comparison ("<3.14") narrowing r.  0, or -1 if not one. */
static int
parse_cmp(const char *s, size_t n, struct vrange *r)
{
	size_t	 op;
	int	 v;

	op = strspn(s, "<>=!");
	if (op == 0 || op > 2 || (v = parse_version(s + op, n - op)) == -1)
		return -1;
	if (op == 1 && s[0] == '<')
		v--, s = "<=";
	else if (op == 1 && s[0] == '>')
		v++, s = ">=";
	else if (op == 1)
		return -1;
	if (s[1] != '=')
		return -1;
	if (s[0] == '<' && v < r->hi)
		r->hi = v;
	else if (s[0] == '>' && v > r->lo)
		r->lo = v;
	else if (s[0] == '=') {
		if (v > r->lo)
			r->lo = v;
		if (v < r->hi)
			r->hi = v;
	} else if (s[0] != '<' && s[0] != '>')
		return -1;
	return 0;
}

/* "python>=3.12,<3.14": the comparisons after "python". */
static int
parse_condition(const char *w, size_t len, struct vrange *r)
{
	const char	*s = w + 6, *end = w + len;
	size_t		 n;

	if (s >= end)
		return -1;
	while (s < end) {
		n = strcspn(s, ",");
		if (s + n > end)
			n = (size_t)(end - s);
		if (parse_cmp(s, n, r) == -1)
			return -1;
		s += n;
		if (s < end)
			s++;		/* the comma */
	}
	return 0;
}

/*
 * The next word of an info string: a run of non-blanks, where a value in
 * double quotes may hold blanks.  *val and *vlen receive the value of a
 * key=value word (quotes removed), else NULL.
 */
static size_t
next_word(const char *s, const char **val, size_t *vlen)
{
	const char	*eq, *q;
	size_t		 n;

	*val = NULL;
	n = strcspn(s, " \t=");
	if (s[n] != '=')
		return strcspn(s, " \t");
	eq = s + n;
	if (eq[1] == '"' && (q = strchr(eq + 2, '"')) != NULL) {
		*val = eq + 2;
		*vlen = (size_t)(q - eq - 2);
		return (size_t)(q + 1 - s) + strcspn(q + 1, " \t");
	}
	*val = eq + 1;
	*vlen = strcspn(eq + 1, " \t");
	return (size_t)(eq + 1 - s) + *vlen;
}

static int
word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && strncmp(w, lit, n) == 0;
}

/* The language: the first word up to a comma, lower case, safe. */
static char *
lang_name(const char *info, size_t n)
{
	char	*lang;
	size_t	 i;

	n = strcspn(info, " \t,{");
	if (n > 32)
		n = 32;
	lang = xstrndup(info, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)lang[i];
		lang[i] = isalnum(c) || c == '-' || c == '_' ?
		    (char)tolower(c) : '-';
	}
	return lang;
}

/* Is a figure id a name an XHTML id and a URL fragment both take? */
static int
id_ok(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 64 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

/* One attribute word of a python, pycon, output or diagram block. */
static int
attribute(const struct info_at *at, struct codeinfo *ci, const char *w,
    size_t len, const char *val, size_t vlen)
{
	int	 v;

	if (ci->kind == CODE_DIAGRAM) {
		if (val != NULL && strncmp(w, "caption=", 8) == 0) {
			free(ci->caption);
			ci->caption = xstrndup(val, vlen);
			return 0;
		}
		if (val != NULL && strncmp(w, "id=", 3) == 0 &&
		    id_ok(val, vlen)) {
			free(ci->id);
			ci->id = xstrndup(val, vlen);
			return 0;
		}
		bad_word(at, w, len, "diagram", "caption=\"...\" or id=NAME");
		return -1;
	}
	if (ci->kind == CODE_PYTHON && word_is(w, len, "fragment")) {
		ci->fragment = 1;
		ci->example = 0;
		return 0;
	}
	if (ci->kind != CODE_OUTPUT && val != NULL &&
	    strncmp(w, "requires=", 9) == 0 &&
	    (v = parse_version(val, vlen)) != -1) {
		ci->requires = v;
		return 0;
	}
	if (ci->kind != CODE_PYTHON && len > 6 &&
	    strncmp(w, "python", 6) == 0 &&
	    parse_condition(w, len, &ci->range) == 0) {
		ci->versioned = 1;
		return 0;
	}
	if (ci->kind == CODE_PYTHON)
		bad_word(at, w, len, "code block", "fragment or requires=X.Y");
	else if (ci->kind == CODE_OUTPUT)
		bad_word(at, w, len, "output block", "a condition such as "
		    "python>=3.14");
	else
		bad_word(at, w, len, "pycon block", "requires=X.Y or a "
		    "condition such as python>=3.14");
	return -1;
}

int
codeinfo_parse(const char *path, const char *text, cmark_node *n,
    struct codeinfo *ci)
{
	const char	*info = cmark_node_get_fence_info(n);
	const char	*s, *val, *lit;
	struct info_at	 at;
	size_t		 len, vlen;
	int		 rc = 0;

	memset(ci, 0, sizeof(*ci));
	ci->range.lo = VERSION_MIN;
	ci->range.hi = VERSION_MAX;
	ci->line = cmark_node_get_start_line(n);
	ci->col = cmark_node_get_start_column(n);
	if (info == NULL)
		info = "";
	ci->lang = lang_name(info, strlen(info));
	if (strcmp(ci->lang, "python") == 0 || strcmp(ci->lang, "py") == 0)
		ci->kind = CODE_PYTHON;
	else if (strcmp(ci->lang, "pycon") == 0)
		ci->kind = CODE_PYCON;
	else if (strcmp(ci->lang, "output") == 0)
		ci->kind = CODE_OUTPUT;
	else if (strcmp(ci->lang, "diagram") == 0) {
		ci->kind = CODE_DIAGRAM;
		lit = cmark_node_get_literal(n);
		ci->drawing = xstrdup(lit != NULL ? lit : "");
	}
	/* Other languages' attributes belong to other tools: not ours. */
	if (ci->kind == CODE_TEXT || strcmp(ci->lang, "py") == 0 ||
	    info[strcspn(info, " \t,{")] == ',')
		return 0;
	ci->example = ci->kind == CODE_PYTHON || ci->kind == CODE_PYCON;
	/* The info string starts after the fence and its indent. */
	at.path = path;
	at.text = text;
	at.line = ci->line;
	at.info = info;
	for (s = info + strcspn(info, " \t");; s += len) {
		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		len = next_word(s, &val, &vlen);
		if (attribute(&at, ci, s, len, val, vlen) == -1)
			rc = -1;
	}
	if (ci->versioned && ci->range.lo > ci->range.hi) {
		diag_error(path, ci->line, info_column(&at), "the version "
		    "condition holds for no version");
		rc = -1;
	}
	ci->bad = rc == -1;
	return rc;
}

void
codeinfo_free(struct codeinfo *ci)
{
	free(ci->lang);
	free(ci->label);
	free(ci->caption);
	free(ci->id);
	free(ci->drawing);
}

int
vrange_has(const struct vrange *r, int v)
{
	return v >= r->lo && v <= r->hi;
}

static void
put_version(struct buf *b, int v)
{
	buf_printf(b, "%d.%d", v / 100, v % 100);
}

char *
vrange_spec(const struct vrange *r)
{
	struct buf	 b = { NULL, 0, 0 };

	if (r->lo > VERSION_MIN) {
		BUF_LIT(&b, ">=");
		put_version(&b, r->lo);
	}
	if (r->hi < VERSION_MAX) {
		buf_puts(&b, b.len ? ",<=" : "<=");
		put_version(&b, r->hi);
	}
	if (b.len == 0)
		buf_putc(&b, '-');
	return buf_take(&b);
}

char *
vrange_words(const struct vrange *r)
{
	struct buf	 b = { NULL, 0, 0 };

	if (r->lo <= VERSION_MIN && r->hi >= VERSION_MAX)
		return NULL;
	if (r->lo <= VERSION_MIN) {
		put_version(&b, r->hi);
		BUF_LIT(&b, " and earlier");
	} else if (r->hi >= VERSION_MAX) {
		put_version(&b, r->lo);
		BUF_LIT(&b, " and later");
	} else if (r->lo == r->hi)
		put_version(&b, r->lo);
	else {
		put_version(&b, r->lo);
		buf_puts(&b, r->hi == r->lo + 1 ? " and " : " to ");
		put_version(&b, r->hi);
	}
	return buf_take(&b);
}

/* Where block ci applies among versions from "from" on. */
static struct vrange
effective(const struct codeinfo *ci, int from)
{
	struct vrange	 r = ci->range;

	if (r.lo < from)
		r.lo = from;
	if (r.lo < ci->requires)
		r.lo = ci->requires;
	return r;
}

static int
by_lo(const void *a, const void *b)
{
	const struct codeinfo *const *x = a, *const *y = b;

	return (*x)->range.lo < (*y)->range.lo ? -1 :
	    (*x)->range.lo > (*y)->range.lo;
}

static void
report_gap(const char *path, const struct codeinfo *first, int lo, int hi)
{
	struct vrange	 gap = { lo, hi };
	char		*words = vrange_words(&gap);

	diag_error(path, first->line, first->col, "no block of this set "
	    "applies to Python %s", words ? words : "at all");
	free(words);
}

/*
 * Does every version from "from" on have exactly one block of the set?
 * The ranges are intervals: sorted by their start, each must begin
 * where the one before ended.
 */
static int
covered_once(const char *path, struct codeinfo **set, size_t n, int from)
{
	struct codeinfo	**sorted, *widest = NULL;
	struct vrange	  r;
	size_t		  i;
	int		  next = from, rc = 0;

	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	memcpy(sorted, set, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), by_lo);
	for (i = 0; i < n; i++) {
		r = effective(sorted[i], from);
		if (r.lo > r.hi) {
			diag_error(path, sorted[i]->line, sorted[i]->col,
			    "this block applies to no version the example "
			    "runs on (it requires %d.%d)", from / 100,
			    from % 100);
			rc = -1;
			continue;
		}
		if (r.lo > next) {
			report_gap(path, set[0], next, r.lo - 1);
			rc = -1;
		} else if (r.lo < next) {
			diag_error(path, sorted[i]->line, sorted[i]->col,
			    "this block and the one at line %d both apply "
			    "to Python %d.%d", widest->line, r.lo / 100,
			    r.lo % 100);
			rc = -1;
		}
		if (r.hi + 1 > next) {
			next = r.hi + 1;
			widest = sorted[i];
		}
	}
	if (next <= VERSION_MAX) {
		report_gap(path, set[0], next, VERSION_MAX);
		rc = -1;
	}
	free(sorted);
	return rc;
}

/* Label each block of a checked set: "Output on 3.14 and later". */
static void
set_labels(struct codeinfo **set, size_t n, const char *what)
{
	size_t	 i;
	char	*words;

	for (i = 0; i < n; i++) {
		words = vrange_words(&set[i]->range);
		set[i]->label = words ? xasprintf("%s on %s", what, words) :
		    NULL;
		free(words);
	}
}

/*
 * Check the set that starts at block k, if one does: the output blocks
 * right after a python block, or a run of versioned pycon blocks.
 * Returns the number of blocks after k that belong to it.
 */
static size_t
check_set(const char *path, cmark_node **nodes, struct codeinfo *blocks,
    size_t n, size_t k, int *rc)
{
	struct codeinfo	**set;
	size_t		  j, m = 0;
	int		  pycon = blocks[k].kind == CODE_PYCON, from;

	if (pycon && !blocks[k].versioned)
		return 0;
	for (j = k + 1; j < n && cmark_node_next(nodes[j - 1]) == nodes[j] &&
	    (pycon ? blocks[j].kind == CODE_PYCON && blocks[j].versioned :
	    blocks[j].kind == CODE_OUTPUT); j++)
		;
	set = xreallocarray(NULL, j - k, sizeof(*set));
	for (m = 0; k + m + !pycon < j; m++)
		set[m] = &blocks[k + m + !pycon];
	from = pycon ? VERSION_MAX : blocks[k].requires;
	for (size_t i = 0; pycon && i < m; i++)
		if (set[i]->requires < from)
			from = set[i]->requires;
	for (size_t i = 0; i < m; i++)
		if (set[i]->bad || blocks[k].bad)
			m = 0;		/* reported already */
	if (m > 1 || (m == 1 && set[0]->versioned)) {
		for (size_t i = 0; i < m; i++)
			if (!set[i]->versioned) {
				diag_error(path, set[i]->line, set[i]->col,
				    "in a set of %s blocks, each needs a "
				    "version condition", pycon ? "pycon" :
				    "output");
				*rc = -1;
				m = 0;
			}
		if (m > 0 && covered_once(path, set, m, from) == -1)
			*rc = -1;
		if (m > 0)
			set_labels(set, m, pycon ? "Session" : "Output");
	}
	free(set);
	return j - k - 1;
}

/*
 * A drawing man pages can show (78 columns) and screen readers can read
 * (a caption).  Warnings only: the figure is made either way.
 */
static void
check_drawing(const char *path, cmark_node *n, const struct codeinfo *ci)
{
	const char	*s = cmark_node_get_literal(n);
	size_t		 w = 0, widest = 0;

	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\n')
			w = 0;
		else if (((unsigned char)*s & 0xC0) != 0x80 && ++w > widest)
			widest = w;
	}
	if (widest > DIAGRAM_COLUMNS_MAX)
		diag_warn(path, ci->line, ci->col, "this drawing is %zu "
		    "columns wide; man pages show %d (and a phone about 64)",
		    widest, DIAGRAM_COLUMNS_MAX);
	if (ci->caption == NULL || *ci->caption == '\0')
		diag_warn(path, ci->line, ci->col, "this diagram has no "
		    "caption= (it opens the figure's text for screen readers)");
}

int
codeinfo_check(const char *path, cmark_node *root, struct codeinfo *blocks,
    size_t n, size_t chapter)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*node, **nodes;
	struct codeinfo		*ci;
	size_t			 k = 0, skip = 0, figures = 0;
	int			 rc = 0;

	nodes = xcalloc(n + 1, sizeof(*nodes));
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && k < n) {
		node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER &&
		    cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK)
			nodes[k++] = node;
	}
	cmark_iter_free(it);
	for (k = 0; k < n; k++) {
		ci = &blocks[k];
		if (ci->kind == CODE_DIAGRAM) {
			ci->figure = ++figures;
			if (ci->id == NULL)
				ci->id = chapter ? xasprintf("figure-%zu-%zu",
				    chapter, figures) :
				    xasprintf("figure-%zu", figures);
			/* "Figure 3.2": the chapter's number, then its own. */
			ci->label = chapter ? xasprintf("Figure %zu.%zu",
			    chapter, figures) : xasprintf("Figure %zu",
			    figures);
			check_drawing(path, nodes[k], ci);
		}
		if (ci->kind == CODE_OUTPUT && ci->label == NULL)
			ci->label = xstrdup("Output");
		if (skip > 0)
			skip--;
		else if (ci->kind == CODE_PYTHON || ci->kind == CODE_PYCON)
			skip = check_set(path, nodes, blocks, n, k, &rc);
		else if (ci->kind == CODE_OUTPUT)
			diag_warn(path, ci->line, ci->col, "output block does "
			    "not follow a python block");
	}
	free(nodes);
	return rc;
}
