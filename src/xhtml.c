/*
 * XHTML renderer for a cmark tree.  The tree is walked with cmark_iter;
 * each container pushes the node to return to on EXIT, so inline raw
 * HTML that is left open is closed with its container.  Raw HTML comes
 * as the loader judged it (html.h): sanitised nodes, copied in.  This
 * file reports nothing.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "diagram.h"
#include "highlight.h"
#include "footnote.h"
#include "gfm.h"
#include "html.h"
#include "table.h"
#include "xhtml.h"

/* Marks elements opened by inline raw HTML (xmlNode._private). */
static char	inline_mark;

struct xhtml_writer {
	const struct book	*b;
	const struct doc	*d;
	int			 flags;
	int			 note;		/* a note's number, until shown */
	int			 note_refs;
	xmlNodePtr		 cur;		/* where content goes now */
	xmlNodePtr		*stack;		/* cur to restore on EXIT */
	size_t			 n, cap;
};

xmlNodePtr
xhtml_elem_ns(xmlNodePtr parent, xmlNsPtr ns, const char *name,
    const char *text)
{
	xmlNodePtr	 el;

	/* Text as a node of its own: xmlNewChild would parse entities. */
	el = xmlNewChild(parent, ns, BAD_CAST name, NULL);
	if (text != NULL)
		xmlAddChild(el, xmlNewText(BAD_CAST text));
	return el;
}

xmlNodePtr
xhtml_elem(xmlNodePtr parent, const char *name, const char *text)
{
	return xhtml_elem_ns(parent, NULL, name, text);
}

void
xhtml_nl(xmlNodePtr parent)
{
	xmlAddChild(parent, xmlNewText(BAD_CAST "\n"));
}

xmlDocPtr
xhtml_skeleton(const struct book *b, const char *title, const char *css,
    int flags, xmlNodePtr *body)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 html, head, el;
	xmlNsPtr	 ns;

	doc = xmlNewDoc(BAD_CAST "1.0");
	/*
	 * Element and attribute names come from the document's own
	 * dictionary: thousands of "span" and "class" strings are not
	 * allocated one by one.  One per document, not one shared: pages
	 * are built on several threads, and a dictionary is not locked.
	 */
	doc->dict = xmlDictCreate();
	xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
	html = xmlNewDocNode(doc, NULL, BAD_CAST "html", NULL);
	xmlDocSetRootElement(doc, html);
	ns = xmlNewNs(html, BAD_CAST XHTML_NS, NULL);
	xmlSetNs(html, ns);
	if (flags & XHTML_EPUB)
		xmlNewNs(html, BAD_CAST EPUB_NS, BAD_CAST "epub");
	xmlSetProp(html, BAD_CAST "lang", BAD_CAST b->language);
	xmlNodeSetLang(html, BAD_CAST b->language);
	xhtml_nl(html);
	head = xhtml_elem(html, "head", NULL);
	xhtml_nl(head);
	el = xhtml_elem(head, "meta", NULL);
	xmlSetProp(el, BAD_CAST "charset", BAD_CAST "utf-8");
	xhtml_nl(head);
	if (!(flags & XHTML_EPUB)) {
		el = xhtml_elem(head, "meta", NULL);
		xmlSetProp(el, BAD_CAST "name", BAD_CAST "viewport");
		xmlSetProp(el, BAD_CAST "content",
		    BAD_CAST "width=device-width, initial-scale=1");
		xhtml_nl(head);
	}
	xhtml_elem(head, "title", title);
	xhtml_nl(head);
	if (css != NULL) {
		el = xhtml_elem(head, "link", NULL);
		xmlSetProp(el, BAD_CAST "rel", BAD_CAST "stylesheet");
		xmlSetProp(el, BAD_CAST "type", BAD_CAST "text/css");
		xmlSetProp(el, BAD_CAST "href", BAD_CAST css);
		xhtml_nl(head);
	}
	xhtml_nl(html);
	*body = xhtml_elem(html, "body", NULL);
	xhtml_nl(*body);
	xhtml_nl(html);
	return doc;
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
#if LIBXML_VERSION >= 21200
quiet_structured(void *ctx, const xmlError *err)
#else
quiet_structured(void *ctx, xmlErrorPtr err)
#endif
{
	(void)ctx;
	(void)err;
}

void
xhtml_quiet(void)
{
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

/*
 * The serialiser.  It writes what xmlDocDumpFormatMemoryEnc(doc, ..,
 * "UTF-8", 0) writes, byte for byte, for the nodes guidebook builds:
 * elements, attributes and namespaces, text and a bare doctype.  It
 * skips libxml2's output buffers and its UTF-8-to-UTF-8 encoder, which
 * took as long as building the tree.  On any other node it returns -1
 * and the caller lets libxml2 do the whole document.
 */
static void
put_escaped(struct buf *out, const xmlChar *s, int attr)
{
	const xmlChar	*run;
	const char	*rep;

	for (run = s; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '\r':
			rep = "&#13;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#9;" : NULL;
			break;
		default:
			rep = NULL;
			break;
		}
		if (rep == NULL)
			continue;
		buf_put(out, (const char *)run, (size_t)(s - run));
		buf_puts(out, rep);
		run = s + 1;
	}
	buf_put(out, (const char *)run, (size_t)(s - run));
}

static void
put_qname(struct buf *out, xmlNsPtr ns, const xmlChar *name)
{
	if (ns != NULL && ns->prefix != NULL) {
		buf_puts(out, (const char *)ns->prefix);
		buf_putc(out, ':');
	}
	buf_puts(out, (const char *)name);
}

static int
put_node(struct buf *out, xmlNodePtr n)
{
	xmlNsPtr	 ns;
	xmlAttrPtr	 a;
	xmlNodePtr	 c;

	switch (n->type) {
	case XML_TEXT_NODE:
		if (n->content == NULL || n->name == NULL ||
		    strcmp((const char *)n->name, "textnoenc") == 0)
			return -1;
		put_escaped(out, n->content, 0);
		return 0;
	case XML_ELEMENT_NODE:
		break;
	default:
		return -1;
	}
	buf_putc(out, '<');
	put_qname(out, n->ns, n->name);
	for (ns = n->nsDef; ns != NULL; ns = ns->next) {
		if (ns->href == NULL)
			return -1;
		buf_puts(out, " xmlns");
		if (ns->prefix != NULL) {
			buf_putc(out, ':');
			buf_puts(out, (const char *)ns->prefix);
		}
		buf_puts(out, "=\"");
		put_escaped(out, ns->href, 1);
		buf_putc(out, '"');
	}
	for (a = n->properties; a != NULL; a = a->next) {
		buf_putc(out, ' ');
		put_qname(out, a->ns, a->name);
		buf_puts(out, "=\"");
		for (c = a->children; c != NULL; c = c->next) {
			if (c->type != XML_TEXT_NODE || c->content == NULL)
				return -1;
			put_escaped(out, c->content, 1);
		}
		buf_putc(out, '"');
	}
	if (n->children == NULL) {
		buf_puts(out, "/>");
		return 0;
	}
	buf_putc(out, '>');
	for (c = n->children; c != NULL; c = c->next)
		if (put_node(out, c) == -1)
			return -1;
	buf_puts(out, "</");
	put_qname(out, n->ns, n->name);
	buf_putc(out, '>');
	return 0;
}

static int
put_doc(struct buf *out, xmlDocPtr doc)
{
	xmlNodePtr	 c;
	xmlDtdPtr	 dtd;

	buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	for (c = doc->children; c != NULL; c = c->next) {
		if (c->type == XML_DTD_NODE) {
			dtd = (xmlDtdPtr)c;
			if (dtd->ExternalID != NULL || dtd->SystemID != NULL ||
			    dtd->entities != NULL || dtd->elements != NULL ||
			    dtd->attributes != NULL || dtd->notations != NULL ||
			    dtd->pentities != NULL || dtd->name == NULL)
				return -1;
			buf_puts(out, "<!DOCTYPE ");
			buf_puts(out, (const char *)dtd->name);
			buf_putc(out, '>');
		} else if (put_node(out, c) == -1)
			return -1;
		buf_putc(out, '\n');
	}
	return 0;
}

void
xhtml_serialize(xmlDocPtr doc, int format, struct buf *out)
{
	xmlChar		*mem;
	size_t		 start = out->len;
	int		 n;

	if (format == 0 && put_doc(out, doc) == 0)
		return;
	out->len = start;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &n, "UTF-8", format);
	if (mem == NULL)
		oom();
	buf_put(out, (const char *)mem, (size_t)n);
	xmlFree(mem);
}

char *
xhtml_href(const struct doc *from, const struct doc *to, const char *id)
{
	if (id != NULL && from == to)
		return xasprintf("#%s", id);
	if (id != NULL)
		return xasprintf("%s#%s", to->xhtml, id);
	return xstrdup(to->xhtml);
}

static void
push(struct xhtml_writer *r, xmlNodePtr next)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->stack = xreallocarray(r->stack, r->cap, sizeof(*r->stack));
	}
	r->stack[r->n++] = r->cur;
	r->cur = next;
}

static void
pop(struct xhtml_writer *r)
{
	r->cur = r->stack[--r->n];
}

/* Raw HTML: the loader's sanitised nodes, copied into this document. */
static void
html_block(struct xhtml_writer *r, cmark_node *n)
{
	const struct html	*h = node_html(n);
	xmlNodePtr		 copy;

	if (h == NULL || h->kind != HTML_BLOCK)
		return;
	copy = xmlDocCopyNodeList(r->cur->doc, h->node->children);
	xmlAddChildList(r->cur, copy);
	xhtml_nl(r->cur);
}

/*
 * Inline raw HTML: a start tag opens an element that later content goes
 * into, until its end tag (or the end of the container it opened in).
 */
static void
html_inline(struct xhtml_writer *r, cmark_node *n)
{
	const struct html	*h = node_html(n);
	xmlNodePtr		 el, up;

	if (h == NULL)
		return;
	switch (h->kind) {
	case HTML_OPEN:
		el = xmlDocCopyNode(h->node, r->cur->doc, 2);
		xmlAddChild(r->cur, el);
		el->_private = &inline_mark;
		r->cur = el;
		break;
	case HTML_VOID:
		xmlAddChild(r->cur, xmlDocCopyNode(h->node, r->cur->doc, 1));
		break;
	case HTML_CLOSE:
		for (up = r->cur; up != NULL && up->_private == &inline_mark;
		    up = up->parent)
			if (strcmp((const char *)up->name, h->name) == 0) {
				r->cur = up->parent;
				break;
			}
		break;
	default:
		break;
	}
}

/*
 * Code is set one line to an element: <span class="line iN"> holds a
 * line and its newline, so that the stylesheet can hang each line (a
 * wrapped part continues past the line's own indentation, beside a
 * mark) while the block's text stays the source, byte for byte.  N is
 * the line's indentation in columns (a console prompt counts), rounded
 * up to even and at most CODE_HANG_MAX.  Highlighted runs that cross a
 * newline (a triple-quoted string) are split, each line holding its own
 * spans.  A line's indentation and its first character go in a <span
 * class="lead">, which the stylesheet keeps from wrapping: a break just
 * after the indentation would leave the line's first row empty.
 */
#define CODE_HANG_MAX	16

struct lines {
	xmlNodePtr	 code;		/* the code element (borrowed) */
	xmlNodePtr	 line;		/* the open line, or NULL */
	xmlNodePtr	 lead;		/* the open lead, or NULL */
	const char	*text;		/* the block's text (borrowed) */
	size_t		 len;
	size_t		 lead_end;	/* offset in text where the lead ends */
	int		 pycon;		/* prompts count as indentation */
};

/*
 * The indentation of the line at s (n bytes to the end of the text):
 * its width in columns, and in *bytes its length.
 */
static size_t
line_indent(const char *s, size_t n, int pycon, size_t *bytes)
{
	size_t	 i = 0, cols = 0;

	if (pycon && n >= 3 && (memcmp(s, ">>>", 3) == 0 ||
	    memcmp(s, "...", 3) == 0) && (n == 3 || s[3] == ' ' ||
	    s[3] == '\n')) {
		i = cols = n > 3 && s[3] == ' ' ? 4 : 3;
	}
	for (; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		cols = s[i] == ' ' ? cols + 1 : (cols / 8 + 1) * 8;
	*bytes = i;
	return cols;
}

/* Open the line that starts at offset off of the text. */
static void
open_line(struct lines *L, size_t off)
{
	const char	*s = L->text + off;
	size_t		 n = L->len - off, bytes, cols, first;
	char		*cls;

	cols = line_indent(s, n, L->pycon, &bytes);
	if (bytes == n || s[bytes] == '\n' || s[bytes] == '\r')
		cols = 0;		/* blank: nothing to hang */
	L->line = xmlNewChild(L->code, NULL, BAD_CAST "span", NULL);
	if (cols == 0)
		xmlSetProp(L->line, BAD_CAST "class", BAD_CAST "line");
	else {
		cls = xasprintf("line i%zu", cols > CODE_HANG_MAX ?
		    (size_t)CODE_HANG_MAX : (cols + 1) / 2 * 2);
		xmlSetProp(L->line, BAD_CAST "class", BAD_CAST cls);
		free(cls);
	}
	L->lead = NULL;
	if (cols == 0 || cols > CODE_HANG_MAX)
		return;
	(void)utf8_decode(s + bytes, n - bytes, &first);
	L->lead = xmlNewChild(L->line, NULL, BAD_CAST "span", NULL);
	xmlSetProp(L->lead, BAD_CAST "class", BAD_CAST "lead");
	L->lead_end = off + bytes + first;
}

/* A run of text, in a span when it has a class. */
static void
add_run(xmlNodePtr parent, const char *cls, const char *s, size_t len)
{
	xmlNodePtr	 span;

	if (len == 0)
		return;
	if (cls == NULL) {
		xmlAddChild(parent, xmlNewTextLen(BAD_CAST s, (int)len));
		return;
	}
	span = xmlNewChild(parent, NULL, BAD_CAST "span", NULL);
	xmlSetProp(span, BAD_CAST "class", BAD_CAST cls);
	xmlAddChild(span, xmlNewTextLen(BAD_CAST s, (int)len));
}

/*
 * highlight() callback, and the writer of plain blocks: a run of the
 * text (s points into it), split at line ends and where a lead ends.
 */
static void
emit_span(void *arg, const char *cls, const char *s, size_t len)
{
	struct lines	*L = arg;
	const char	*nl;
	size_t		 off, n;

	while (len > 0) {
		off = (size_t)(s - L->text);
		if (L->line == NULL)
			open_line(L, off);
		nl = memchr(s, '\n', len);
		n = nl != NULL ? (size_t)(nl - s) : len;
		if (L->lead != NULL && off + n >= L->lead_end)
			n = L->lead_end - off;
		add_run(L->lead != NULL ? L->lead : L->line, cls, s, n);
		s += n;
		len -= n;
		if (L->lead != NULL && off + n == L->lead_end)
			L->lead = NULL;
		if (len > 0 && *s == '\n') {
			xmlAddChild(L->line, xmlNewTextLen(BAD_CAST s, 1));
			L->line = L->lead = NULL;
			s++;
			len--;
		}
	}
}

char *
xhtml_figure_name(const struct doc *d, const struct codeinfo *ci)
{
	const char	*base = d->xhtml ? d->xhtml : "figure";
	size_t		 n = strcspn(base, ".");

	return xasprintf("figures/%.*s-%zu.svg", (int)n, base, ci->figure);
}

/*
 * A drawing as a figure: the caption and the drawing's words are the
 * image's alt text.  In the EPUB the picture is an SVG file of its own
 * (a reader can zoom it); a document rendered alone carries it inline.
 */
static void
figure(struct xhtml_writer *r, cmark_node *node, const struct codeinfo *ci)
{
	const char	*lit = cmark_node_get_literal(node);
	struct diagram	*dg = diagram_parse(lit, strlen(lit));
	struct buf	 alt = { NULL, 0, 0 }, svg = { NULL, 0, 0 };
	xmlNodePtr	 fig, img, cap;
	xmlDocPtr	 sdoc;
	char		*name, *text;

	fig = xhtml_elem(r->cur, "figure", NULL);
	xmlSetProp(fig, BAD_CAST "id", BAD_CAST ci->id);
	xmlSetProp(fig, BAD_CAST "class", BAD_CAST "diagram");
	xhtml_nl(fig);
	if (ci->caption != NULL) {
		buf_puts(&alt, ci->caption);
		BUF_LIT(&alt, ". ");
	}
	diagram_words(dg, &alt);
	if (r->flags & XHTML_EPUB) {
		img = xhtml_elem(fig, "img", NULL);
		name = xhtml_figure_name(r->d, ci);
		xmlSetProp(img, BAD_CAST "src", BAD_CAST name);
		xmlSetProp(img, BAD_CAST "alt", BAD_CAST (alt.ptr ? alt.ptr :
		    ""));
		free(name);
	} else {
		diagram_svg(dg, alt.ptr, &svg);
		sdoc = xmlReadMemory(svg.ptr, (int)svg.len, NULL, "UTF-8",
		    XML_PARSE_NONET);
		if (sdoc != NULL) {
			img = xmlDocCopyNode(xmlDocGetRootElement(sdoc),
			    r->cur->doc, 1);
			xmlSetProp(img, BAD_CAST "role", BAD_CAST "img");
			xmlSetProp(img, BAD_CAST "aria-label", BAD_CAST
			    (alt.ptr ? alt.ptr : ""));
			xmlAddChild(fig, img);
			xmlFreeDoc(sdoc);
		}
		buf_free(&svg);
	}
	xhtml_nl(fig);
	text = ci->caption ? xasprintf("%s: %s", ci->label, ci->caption) :
	    xstrdup(ci->label);
	cap = xhtml_elem(fig, "figcaption", text);
	(void)cap;
	xhtml_nl(fig);
	free(text);
	buf_free(&alt);
	diagram_free(dg);
	xhtml_nl(r->cur);
}

static void
code_block(struct xhtml_writer *r, cmark_node *node)
{
	const struct codeinfo	*ci = node_code(node);
	const char		*lit = cmark_node_get_literal(node);
	struct lines		 L;
	xmlNodePtr		 pre, code, p;
	char			*c;

	if (ci != NULL && ci->kind == CODE_DIAGRAM) {
		figure(r, node, ci);
		return;
	}
	if (ci != NULL && ci->label != NULL) {
		p = xhtml_elem(r->cur, "p", ci->label);
		xmlSetProp(p, BAD_CAST "class", BAD_CAST "label");
		xhtml_nl(r->cur);
	}
	if (lit == NULL)
		lit = "";
	pre = xhtml_elem(r->cur, "pre", NULL);
	code = xhtml_elem(pre, "code", NULL);
	memset(&L, 0, sizeof(L));
	L.code = code;
	L.text = lit;
	L.len = strlen(lit);
	switch (ci ? ci->kind : CODE_TEXT) {
	case CODE_OUTPUT:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "output");
		emit_span(&L, NULL, lit, L.len);
		break;
	case CODE_PYTHON:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "code python");
		highlight(lit, L.len, 0, emit_span, &L);
		break;
	case CODE_PYCON:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "pycon");
		L.pycon = 1;
		highlight(lit, L.len, 1, emit_span, &L);
		break;
	default:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "code");
		if (ci != NULL && ci->lang[0] != '\0') {
			c = xasprintf("language-%s", ci->lang);
			xmlSetProp(code, BAD_CAST "class", BAD_CAST c);
			free(c);
		}
		emit_span(&L, NULL, lit, L.len);
		break;
	}
	if (L.len == 0)			/* <code></code>, not <code/> */
		xmlAddChild(code, xmlNewText(BAD_CAST ""));
	xhtml_nl(r->cur);
}

static int
in_tight_list(cmark_node *n)
{
	cmark_node	*item, *list;

	if ((item = cmark_node_parent(n)) == NULL ||
	    cmark_node_get_type(item) != CMARK_NODE_ITEM ||
	    (list = cmark_node_parent(item)) == NULL)
		return 0;
	return cmark_node_get_list_tight(list);
}

static void
enter_link(struct xhtml_writer *r, cmark_node *n)
{
	const struct link	*l = node_link(n);
	const char		*title = cmark_node_get_title(n);
	xmlNodePtr		 a;
	char			*href;

	if (l == NULL || l->kind == LINK_DROP) {
		push(r, r->cur);
		return;
	}
	a = xhtml_elem(r->cur, "a", NULL);
	if (l->kind == LINK_DOC) {
		href = xhtml_href(r->d, l->doc, l->frag);
		xmlSetProp(a, BAD_CAST "href", BAD_CAST href);
		free(href);
	} else
		xmlSetProp(a, BAD_CAST "href", BAD_CAST l->href);
	if (title != NULL && *title != '\0')
		xmlSetProp(a, BAD_CAST "title", BAD_CAST title);
	push(r, a);
}

/*
 * An image: an img element whose alt is the description's text, the
 * description itself skipped.  An image that is not there (remote,
 * missing) leaves its description, marked as a stand-in.
 */
static void
enter_image(struct xhtml_writer *r, cmark_node *n, cmark_iter *it)
{
	const struct link	*l = node_link(n);
	const char		*title = cmark_node_get_title(n);
	struct buf		 alt = { NULL, 0, 0 };
	xmlNodePtr		 el;

	if (l == NULL || (l->kind != LINK_IMAGE && l->kind != LINK_KEEP)) {
		el = xhtml_elem(r->cur, "span", NULL);
		xmlSetProp(el, BAD_CAST "class", BAD_CAST "image");
		push(r, el);
		return;
	}
	el = xhtml_elem(r->cur, "img", NULL);
	xmlSetProp(el, BAD_CAST "src", BAD_CAST (l->kind == LINK_IMAGE ?
	    l->img->name : l->href));
	book_node_text(n, &alt);
	xmlSetProp(el, BAD_CAST "alt", BAD_CAST (alt.ptr ? alt.ptr : ""));
	if (title != NULL && *title != '\0')
		xmlSetProp(el, BAD_CAST "title", BAD_CAST title);
	buf_free(&alt);
	/* As if its EXIT had been seen: the description is not walked. */
	cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
}

/* epub:type, in EPUB documents only. */
static void
set_epub_type(const struct xhtml_writer *r, xmlNodePtr el, const char *type)
{
	if (r->flags & XHTML_EPUB)
		xmlSetNsProp(el, xmlSearchNs(el->doc, el, BAD_CAST "epub"),
		    BAD_CAST "type", BAD_CAST type);
}

/*
 * A footnote: an aside that EPUB readers show as a pop-up, numbered, its
 * number a link back to the first reference.
 */
static void
enter_note(struct xhtml_writer *r, int num, int refs)
{
	xmlNodePtr	 aside;
	char		 id[48];

	aside = xhtml_elem(r->cur, "aside", NULL);
	snprintf(id, sizeof(id), "fn-%d", num);
	xmlSetProp(aside, BAD_CAST "id", BAD_CAST id);
	xmlSetProp(aside, BAD_CAST "class", BAD_CAST "footnote");
	xmlSetProp(aside, BAD_CAST "role", BAD_CAST "doc-footnote");
	set_epub_type(r, aside, "footnote");
	xhtml_nl(aside);
	r->note = num;
	r->note_refs = refs;
	push(r, aside);
}

/* The number that opens a note's first paragraph. */
static void
note_label(struct xhtml_writer *r)
{
	xmlNodePtr	 a;
	char		 s[48];

	snprintf(s, sizeof(s), "%d.", r->note);
	if (r->note_refs > 0) {
		a = xhtml_elem(r->cur, "a", s);
		snprintf(s, sizeof(s), "#fnref-%d-1", r->note);
		xmlSetProp(a, BAD_CAST "href", BAD_CAST s);
		xmlSetProp(a, BAD_CAST "role", BAD_CAST "doc-backlink");
	} else
		xmlAddChild(r->cur, xmlNewText(BAD_CAST s));
	xmlAddChild(r->cur, xmlNewText(BAD_CAST " "));
	r->note = 0;
}

/* A reference to a footnote: its number, raised, a link to it. */
static void
note_ref(struct xhtml_writer *r, int num, int k)
{
	xmlNodePtr	 sup, a;
	char		 s[48];

	sup = xhtml_elem(r->cur, "sup", NULL);
	snprintf(s, sizeof(s), "%d", num);
	a = xhtml_elem(sup, "a", s);
	snprintf(s, sizeof(s), "#fn-%d", num);
	xmlSetProp(a, BAD_CAST "href", BAD_CAST s);
	snprintf(s, sizeof(s), "fnref-%d-%d", num, k);
	xmlSetProp(a, BAD_CAST "id", BAD_CAST s);
	xmlSetProp(a, BAD_CAST "role", BAD_CAST "doc-noteref");
	set_epub_type(r, a, "noteref");
}

/*
 * GitHub's extensions: a del element, a task's box, an alert's label;
 * a heading's {#id} shows nothing (the heading has the id).
 */
static void
enter_gfm(struct xhtml_writer *r, cmark_node *n)
{
	const char	*value = NULL, *kind = gfm_kind(n, &value);
	xmlNodePtr	 el;
	char		*label;

	if (kind != NULL && strcmp(kind, "del") == 0) {
		push(r, xhtml_elem(r->cur, "del", NULL));
		return;
	}
	if (kind != NULL && strcmp(kind, "task") == 0) {
		el = xhtml_elem(r->cur, "span", value && *value == 'x' ?
		    "\xe2\x98\x91" : "\xe2\x98\x90");	/* U+2611, U+2610 */
		xmlSetProp(el, BAD_CAST "class", BAD_CAST "task");
		xmlSetProp(el, BAD_CAST "role", BAD_CAST "img");
		xmlSetProp(el, BAD_CAST "aria-label", BAD_CAST (value &&
		    *value == 'x' ? "done" : "not done"));
		xmlAddChild(r->cur, xmlNewText(BAD_CAST " "));
	} else if (kind != NULL && strcmp(kind, "alert") == 0) {
		label = xasprintf("%s:", value ? value : "Note");
		el = xhtml_elem(r->cur, "strong", label);
		xmlSetProp(el, BAD_CAST "class", BAD_CAST "alert");
		xmlAddChild(r->cur, xmlNewText(BAD_CAST " "));
		free(label);
	}
	push(r, r->cur);
}

/* A table's parts: the element of the same name. */
static void
enter_custom(struct xhtml_writer *r, cmark_node *n)
{
	const char	*kind = table_kind(n);
	const char	*style[] = { "text-align: left", "text-align: center",
	    "text-align: right" };
	xmlNodePtr	 el;
	char		 align;
	int		 col, line, num, k;

	if (footnote_of(n, &num, &k) == FOOTNOTE_NOTE) {
		enter_note(r, num, k);
		return;
	}
	if (kind == NULL) {
		push(r, r->cur);
		return;
	}
	el = xhtml_elem(r->cur, kind, NULL);
	if (strcmp(kind, "th") == 0)
		xmlSetProp(el, BAD_CAST "scope", BAD_CAST "col");
	if (table_cell(n, &align, &col, &line) && strchr("lcr", align) != NULL)
		xmlSetProp(el, BAD_CAST "style", BAD_CAST
		    style[strchr("lcr", align) - "lcr"]);
	if (strcmp(kind, "th") != 0 && strcmp(kind, "td") != 0)
		xhtml_nl(el);
	push(r, el);
}

/* Containers: create the element and descend into it. */
static void
enter(struct xhtml_writer *r, cmark_node *n, cmark_iter *it)
{
	xmlNodePtr	 el;
	char		 name[4];
	const struct heading *h;
	int		 num, k;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_BLOCK_QUOTE:
		el = xhtml_elem(r->cur, "blockquote", NULL);
		xhtml_nl(el);
		push(r, el);
		break;
	case CMARK_NODE_LIST:
		if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST) {
			el = xhtml_elem(r->cur, "ol", NULL);
			if (cmark_node_get_list_start(n) != 1) {
				char *v = xasprintf("%d",
				    cmark_node_get_list_start(n));
				xmlSetProp(el, BAD_CAST "start", BAD_CAST v);
				free(v);
			}
		} else
			el = xhtml_elem(r->cur, "ul", NULL);
		xhtml_nl(el);
		push(r, el);
		break;
	case CMARK_NODE_ITEM:
		el = xhtml_elem(r->cur, "li", NULL);
		if (!cmark_node_get_list_tight(cmark_node_parent(n)))
			xhtml_nl(el);
		push(r, el);
		break;
	case CMARK_NODE_PARAGRAPH:
		if (in_tight_list(n))
			push(r, r->cur);
		else
			push(r, xhtml_elem(r->cur, "p", NULL));
		if (r->note)
			note_label(r);
		break;
	case CMARK_NODE_HEADING:
		snprintf(name, sizeof(name), "h%d",
		    cmark_node_get_heading_level(n));
		el = xhtml_elem(r->cur, name, NULL);
		if ((h = node_heading(n)) != NULL)
			xmlSetProp(el, BAD_CAST "id", BAD_CAST h->id);
		push(r, el);
		break;
	case CMARK_NODE_EMPH:
		push(r, xhtml_elem(r->cur, "em", NULL));
		break;
	case CMARK_NODE_STRONG:
		push(r, xhtml_elem(r->cur, "strong", NULL));
		break;
	case CMARK_NODE_LINK:
		enter_link(r, n);
		break;
	case CMARK_NODE_IMAGE:
		enter_image(r, n, it);
		break;
	case CMARK_NODE_CUSTOM_BLOCK:
		enter_custom(r, n);
		break;
	case CMARK_NODE_CUSTOM_INLINE:
		if (footnote_of(n, &num, &k) == FOOTNOTE_REF)
			note_ref(r, num, k);
		enter_gfm(r, n);
		break;
	default:
		push(r, r->cur);
		break;
	}
}


/* Is n a block whose end gets a newline in the output? */
static int
is_block(cmark_node *n)
{
	cmark_node_type t = cmark_node_get_type(n);

	return t >= CMARK_NODE_FIRST_BLOCK && t <= CMARK_NODE_LAST_BLOCK &&
	    t != CMARK_NODE_DOCUMENT;
}

static void
leaf(struct xhtml_writer *r, cmark_node *n)
{
	xmlNodePtr	 el;

	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_TEXT:
		xmlAddChild(r->cur, xmlNewText(BAD_CAST
		    cmark_node_get_literal(n)));
		break;
	case CMARK_NODE_CODE:
		xhtml_elem(r->cur, "code", cmark_node_get_literal(n));
		break;
	case CMARK_NODE_SOFTBREAK:
		xhtml_nl(r->cur);
		break;
	case CMARK_NODE_LINEBREAK:
		xhtml_elem(r->cur, "br", NULL);
		xhtml_nl(r->cur);
		break;
	case CMARK_NODE_HTML_INLINE:
		html_inline(r, n);
		break;
	case CMARK_NODE_HTML_BLOCK:
		html_block(r, n);
		break;
	case CMARK_NODE_CODE_BLOCK:
		code_block(r, n);
		break;
	case CMARK_NODE_THEMATIC_BREAK:
		el = xhtml_elem(r->cur, "hr", NULL);
		(void)el;
		xhtml_nl(r->cur);
		break;
	default:
		break;
	}
}

int
xhtml_render(const struct book *b, const struct doc *d, xmlNodePtr parent,
    int flags)
{
	struct xhtml_writer		 r;
	cmark_iter		*it;
	cmark_event_type	 ev;
	cmark_node		*n;

	memset(&r, 0, sizeof(r));
	r.b = b;
	r.d = d;
	r.flags = flags;
	r.cur = parent;
	doc_open(d);
	it = cmark_iter_new(d->root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		n = cmark_iter_get_node(it);
		if (cmark_node_get_type(n) == CMARK_NODE_DOCUMENT)
			continue;
		if (ev == CMARK_EVENT_ENTER) {
			if (!node_is_leaf(n))
				enter(&r, n, it);
			else
				leaf(&r, n);
		} else {
			pop(&r);
			if (is_block(n) && !(cmark_node_get_type(n) ==
			    CMARK_NODE_PARAGRAPH && in_tight_list(n)))
				xhtml_nl(r.cur);
		}
	}
	cmark_iter_free(it);
	doc_close(d);
	free(r.stack);
	return 0;
}

xmlDocPtr
xhtml_document(const struct book *b, const struct doc *d, const char *css,
    int flags, const char *epub_type, const char *role)
{
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec;
	const struct heading	*h;

	doc = xhtml_skeleton(b, d->title ? d->title : b->title, css, flags,
	    &body);
	if (flags & XHTML_EPUB) {
		sec = xhtml_elem(body, "section", NULL);
		xmlSetNsProp(sec, xmlSearchNs(doc, xmlDocGetRootElement(doc),
		    BAD_CAST "epub"), BAD_CAST "type", BAD_CAST epub_type);
		xmlSetProp(sec, BAD_CAST "role", BAD_CAST role);
		/* The region is named by its title, as part pages are. */
		if ((h = doc_title(d)) != NULL)
			xmlSetProp(sec, BAD_CAST "aria-labelledby",
			    BAD_CAST h->id);
		xhtml_nl(sec);
		xhtml_nl(body);
	} else
		sec = body;
	xhtml_render(b, d, sec, flags);
	return doc;
}
