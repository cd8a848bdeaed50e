/*
 * GitHub-style footnotes on libcmark, which has none: "[^label]" in
 * text refers to the paragraph that starts "[^label]: ".  After each
 * parse, every definition leaves the flow for a custom block
 * "footnote" at the end of the document (on_exit "N:R": its number, and
 * how many references it has), and every reference to a defined label
 * becomes a custom inline "fnref" (on_exit "N:K": the K-th reference to
 * note N).  Notes are numbered in the order of their first reference;
 * a note nobody refers to comes after the others.  A definition may go
 * on in an indented block after its paragraph, as on GitHub.
 *
 * cmark reads "[^1]: word" as a link reference definition and swallows
 * it; footnote_escape() puts a backslash before such lines first.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "footnote.h"
#include "tree.h"
#include "util.h"

/* A definition found in the tree. */
struct def {
	char		*label;		/* lower case */
	cmark_node	*note;		/* the "footnote" block */
	int		 number;	/* 0 until referenced */
	int		 refs;
};

struct notes {
	struct def	*d;
	size_t		 n;
	int		 next;		/* the next number to give */
};

/*
 * The length of "[^label]:" at s (n bytes), or 0.  A label is 1 to 999
 * bytes with no blank and no bracket.
 */
static size_t
def_marker(const char *s, size_t n)
{
	size_t	 i;

	if (n < 5 || s[0] != '[' || s[1] != '^')
		return 0;
	for (i = 2; i < n && i < 1002 && s[i] != ']'; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '[')
			return 0;
	if (i == 2 || i + 1 >= n || s[i] != ']' || s[i + 1] != ':')
		return 0;
	return i + 2;
}

/* Lines of code and HTML blocks, where "[^x]:" means nothing. */
static void
mark_literal_lines(cmark_node *root, unsigned char *lit, int nlines)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;
	cmark_node_type		 t;
	int			 l;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		t = cmark_node_get_type(n);
		if (ev != CMARK_EVENT_ENTER || (t != CMARK_NODE_CODE_BLOCK &&
		    t != CMARK_NODE_HTML_BLOCK))
			continue;
		for (l = cmark_node_get_start_line(n);
		    l <= cmark_node_get_end_line(n) && l <= nlines; l++)
			if (l > 0)
				lit[l - 1] = 1;
	}
	cmark_iter_free(it);
}

int
footnote_escape(char **text, size_t *len, cmark_node *root)
{
	struct buf	 out = { NULL, 0, 0 };
	unsigned char	*lit;
	const char	*s, *eol, *p;
	int		 nlines = 1, line, changed = 0;

	if (strstr(*text, "[^") == NULL)
		return 0;
	for (s = *text; (s = strchr(s, '\n')) != NULL; s++)
		nlines++;
	lit = xcalloc((size_t)nlines, 1);
	mark_literal_lines(root, lit, nlines);
	for (s = *text, line = 1; s != NULL && *s != '\0'; line++) {
		eol = strchr(s, '\n');
		p = s + strspn(s, " \t>");
		if (!lit[line - 1] && def_marker(p, (size_t)((eol ? eol :
		    s + strlen(s)) - p)) > 0 && (p == *text || p[-1] != '\\')) {
			buf_put(&out, s, (size_t)(p - s));
			buf_putc(&out, '\\');
			s = p;
			changed = 1;
		}
		if (eol == NULL) {
			buf_puts(&out, s);
			break;
		}
		buf_put(&out, s, (size_t)(eol + 1 - s));
		s = eol + 1;
	}
	free(lit);
	if (!changed) {
		buf_free(&out);
		return 0;
	}
	buf_putc(&out, '\0');
	free(*text);
	*len = out.len - 1;
	*text = buf_take(&out);
	return 1;
}

static struct def *
find_def(struct notes *ns, const char *label, size_t n)
{
	size_t	 i;

	for (i = 0; i < ns->n; i++)
		if (strlen(ns->d[i].label) == n &&
		    strncasecmp(ns->d[i].label, label, n) == 0)
			return &ns->d[i];
	return NULL;
}

static cmark_node *
new_node(cmark_node_type t)
{
	return cmark_node_new_with_mem(t, tree_mem());
}

/* Parse an indented continuation (a code block's text) into blocks. */
static void
append_blocks(cmark_node *to, cmark_node *code)
{
	cmark_parser	*p;
	cmark_node	*doc, *b, *next;
	const char	*lit = cmark_node_get_literal(code);
	struct buf	 src = { NULL, 0, 0 };
	int		 k;

	/* Its own line numbers, for messages. */
	for (k = 1; k < cmark_node_get_start_line(code); k++)
		buf_putc(&src, '\n');
	buf_puts(&src, lit ? lit : "");
	p = cmark_parser_new_with_mem(CMARK_OPT_DEFAULT, tree_mem());
	cmark_parser_feed(p, src.ptr ? src.ptr : "", src.len);
	doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	buf_free(&src);
	cmark_consolidate_text_nodes(doc);
	for (b = cmark_node_first_child(doc); b != NULL; b = next) {
		next = cmark_node_next(b);
		cmark_node_append_child(to, b);
	}
	cmark_node_free(doc);
	cmark_node_free(code);
}

/* Was the code block indented (a footnote's continuation), not fenced? */
static int
indented(cmark_node *code, const char *text)
{
	const char	*s = text;
	int		 l;

	if (code == NULL || cmark_node_get_type(code) !=
	    CMARK_NODE_CODE_BLOCK)
		return 0;
	for (l = 1; l < cmark_node_get_start_line(code) && s; l++)
		if ((s = strchr(s, '\n')) != NULL)
			s++;
	return s != NULL && (strncmp(s, "    ", 4) == 0 || *s == '\t');
}

/*
 * Paragraph para starts with a definition: move it (and any definitions
 * after it in the same paragraph, one per line) to the end of root.
 */
static void
take_defs(struct notes *ns, cmark_node *root, cmark_node *para,
    const char *text)
{
	cmark_node	*n, *next, *note, *body = NULL, *after;
	const char	*lit;
	size_t		 m;
	char		*rest;

	after = cmark_node_next(para);
	for (n = cmark_node_first_child(para); n != NULL; n = next) {
		next = cmark_node_next(n);
		lit = cmark_node_get_type(n) == CMARK_NODE_TEXT ?
		    cmark_node_get_literal(n) : NULL;
		m = lit ? def_marker(lit, strlen(lit)) : 0;
		if (m > 0 && (n == cmark_node_first_child(para) ||
		    cmark_node_get_type(cmark_node_previous(n)) ==
		    CMARK_NODE_SOFTBREAK) && find_def(ns, lit + 2, m - 4) ==
		    NULL) {
			if (body != NULL && cmark_node_last_child(body) != NULL &&
			    cmark_node_get_type(cmark_node_last_child(body)) ==
			    CMARK_NODE_SOFTBREAK)
				cmark_node_free(cmark_node_last_child(body));
			note = new_node(CMARK_NODE_CUSTOM_BLOCK);
			cmark_node_set_on_enter(note, "footnote");
			cmark_node_append_child(root, note);
			body = new_node(CMARK_NODE_PARAGRAPH);
			cmark_node_append_child(note, body);
			ns->d = xreallocarray(ns->d, ns->n + 1, sizeof(*ns->d));
			ns->d[ns->n].label = xstrndup(lit + 2, m - 4);
			ns->d[ns->n].note = note;
			ns->d[ns->n].number = 0;
			ns->d[ns->n].refs = 0;
			ns->n++;
			rest = xstrdup(lit + m + strspn(lit + m, " \t"));
			if (*rest == '\0')
				cmark_node_free(n);
			else {
				cmark_node_set_literal(n, rest);
				cmark_node_append_child(body, n);
			}
			free(rest);
			continue;
		}
		if (body != NULL)
			cmark_node_append_child(body, n);
	}
	/* An indented block right after: the last note goes on. */
	while (body != NULL && indented(after, text)) {
		next = cmark_node_next(after);
		append_blocks(cmark_node_parent(body), after);
		after = next;
	}
	if (cmark_node_first_child(para) == NULL)
		cmark_node_free(para);
}

/* Find every definition: paragraphs that start with "[^label]:". */
static void
collect_defs(struct notes *ns, cmark_node *root, const char *text)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, *first, **paras = NULL;
	const char		*lit;
	size_t			 np = 0, i;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER ||
		    cmark_node_get_type(n) != CMARK_NODE_PARAGRAPH ||
		    (first = cmark_node_first_child(n)) == NULL ||
		    cmark_node_get_type(first) != CMARK_NODE_TEXT ||
		    (lit = cmark_node_get_literal(first)) == NULL ||
		    def_marker(lit, strlen(lit)) == 0)
			continue;
		paras = xreallocarray(paras, np + 1, sizeof(*paras));
		paras[np++] = n;
	}
	cmark_iter_free(it);
	for (i = 0; i < np; i++)
		take_defs(ns, root, paras[i], text);
	free(paras);
}

/* Split text node n at a reference [^label] (off, len); returns after. */
static cmark_node *
make_ref(cmark_node *n, size_t off, size_t len, struct def *d,
    struct notes *ns)
{
	const char	*lit = cmark_node_get_literal(n);
	cmark_node	*ref, *after;
	char		*head, *tail, num[32];

	if (d->number == 0)
		d->number = ++ns->next;
	d->refs++;
	head = xstrndup(lit, off);
	tail = xstrdup(lit + off + len);
	ref = new_node(CMARK_NODE_CUSTOM_INLINE);
	cmark_node_set_on_enter(ref, "fnref");
	snprintf(num, sizeof(num), "%d:%d", d->number, d->refs);
	cmark_node_set_on_exit(ref, num);
	cmark_node_insert_after(n, ref);
	after = new_node(CMARK_NODE_TEXT);
	cmark_node_set_literal(after, tail);
	cmark_node_insert_after(ref, after);
	cmark_node_set_literal(n, head);
	free(head);
	free(tail);
	return after;
}

/* Turn every [^label] with a definition into a reference. */
static void
link_refs(struct notes *ns, cmark_node *root)
{
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n, **texts = NULL, *p;
	const char		*lit, *s, *end;
	struct def		*d;
	size_t			 nt = 0, i;

	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER &&
		    cmark_node_get_type(n) == CMARK_NODE_TEXT &&
		    strstr(cmark_node_get_literal(n), "[^") != NULL) {
			for (p = cmark_node_parent(n); p != NULL &&
			    cmark_node_get_type(p) != CMARK_NODE_LINK &&
			    cmark_node_get_type(p) != CMARK_NODE_IMAGE;
			    p = cmark_node_parent(p))
				;
			if (p != NULL)
				continue;	/* no link inside a link */
			texts = xreallocarray(texts, nt + 1, sizeof(*texts));
			texts[nt++] = n;
		}
	}
	cmark_iter_free(it);
	for (i = 0; i < nt; i++) {
		n = texts[i];
		for (;;) {
			lit = cmark_node_get_literal(n);
			for (s = strstr(lit, "[^"); s != NULL;
			    s = strstr(s + 2, "[^")) {
				end = strchr(s + 2, ']');
				if (end != NULL && end > s + 2 &&
				    (d = find_def(ns, s + 2,
				    (size_t)(end - s - 2))) != NULL)
					break;
			}
			if (s == NULL)
				break;
			n = make_ref(n, (size_t)(s - lit),
			    (size_t)(end + 1 - s), d, ns);
		}
	}
	free(texts);
}

void
footnote_transform(cmark_node *root, const char *text)
{
	struct notes	 ns = { NULL, 0, 0 };
	char		 num[32];
	size_t		 i;

	if (strstr(text, "[^") == NULL)
		return;
	collect_defs(&ns, root, text);
	if (ns.n > 0)
		link_refs(&ns, root);
	for (i = 0; i < ns.n; i++) {
		if (ns.d[i].number == 0)
			ns.d[i].number = ++ns.next;
		snprintf(num, sizeof(num), "%d:%d", ns.d[i].number,
		    ns.d[i].refs);
		cmark_node_set_on_exit(ns.d[i].note, num);
		free(ns.d[i].label);
	}
	/* The notes in the order of their numbers. */
	for (int k = 1; k <= ns.next; k++)
		for (i = 0; i < ns.n; i++)
			if (ns.d[i].number == k)
				cmark_node_append_child(root, ns.d[i].note);
	free(ns.d);
}

int
footnote_of(cmark_node *n, int *number, int *k)
{
	const char	*kind, *v;

	if ((cmark_node_get_type(n) != CMARK_NODE_CUSTOM_BLOCK &&
	    cmark_node_get_type(n) != CMARK_NODE_CUSTOM_INLINE) ||
	    (kind = cmark_node_get_on_enter(n)) == NULL ||
	    (v = cmark_node_get_on_exit(n)) == NULL)
		return 0;
	if (strcmp(kind, "footnote") != 0 && strcmp(kind, "fnref") != 0)
		return 0;
	if (sscanf(v, "%d:%d", number, k) != 2)
		return 0;
	return strcmp(kind, "footnote") == 0 ? FOOTNOTE_NOTE : FOOTNOTE_REF;
}
