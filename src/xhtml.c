/*
 * XHTML renderer for a cmark tree.  The tree is walked with cmark_iter;
 * each container pushes the node to return to on EXIT, so inline raw
 * HTML that is left open is closed with its container.  Raw HTML is
 * parsed by libxml2's HTML parser and copied through an allow-list of
 * elements and attributes; comments, scripts and unknown markup never
 * reach the output as text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "highlight.h"
#include "xhtml.h"

/* Marks elements opened by inline raw HTML (xmlNode._private). */
static char	inline_mark;

struct xr {
	const struct book	*b;
	const struct doc	*d;
	int			 flags;
	xmlNodePtr		 cur;		/* where content goes now */
	xmlNodePtr		*stack;		/* cur to restore on EXIT */
	size_t			 n, cap;
};

xmlNodePtr
xhtml_elem(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr	 el;

	el = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	if (text != NULL)
		xmlAddChild(el, xmlNewText(BAD_CAST text));
	return el;
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
quiet_structured(void *ctx, xmlErrorPtr err)
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
push(struct xr *r, xmlNodePtr next)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->stack = xreallocarray(r->stack, r->cap, sizeof(*r->stack));
	}
	r->stack[r->n++] = r->cur;
	r->cur = next;
}

static void
pop(struct xr *r)
{
	r->cur = r->stack[--r->n];
}

/* Raw HTML: what may be copied, and how. */

static const char *const phrasing_ok[] = {
	"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del",
	"dfn", "em", "i", "ins", "kbd", "mark", "q", "s", "samp", "small",
	"span", "strong", "sub", "sup", "time", "u", "var", "wbr", NULL
};

static const char *const block_ok[] = {
	"address", "article", "aside", "blockquote", "caption", "dd",
	"details", "div", "dl", "dt", "figcaption", "figure", "footer",
	"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol",
	"p", "pre", "section", "summary", "table", "tbody", "td", "tfoot",
	"th", "thead", "tr", "ul", NULL
};

/* Dropped with everything inside them. */
static const char *const drop_all[] = {
	"applet", "audio", "base", "button", "canvas", "embed", "form",
	"frame", "frameset", "head", "iframe", "img", "input", "link",
	"map", "math", "meta", "noscript", "object", "option", "picture",
	"script", "select", "source", "style", "svg", "template",
	"textarea", "title", "track", "video", NULL
};

static const char *const void_elems[] = { "br", "hr", "wbr", NULL };

/* Contexts that accept phrasing content only. */
static const char *const phrasing_ctx[] = {
	"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dt", "summary",
	"a", NULL
};

/* Containers whose children are restricted. */
static const struct {
	const char	*parent;
	const char	*children[8];
} child_rules[] = {
	{ "ul", { "li", NULL } },
	{ "ol", { "li", NULL } },
	{ "dl", { "dt", "dd", "div", NULL } },
	{ "table", { "caption", "thead", "tbody", "tfoot", "tr", NULL } },
	{ "thead", { "tr", NULL } },
	{ "tbody", { "tr", NULL } },
	{ "tfoot", { "tr", NULL } },
	{ "tr", { "td", "th", NULL } },
	{ NULL, { NULL } }
};

static int
in_list(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

static int
is_phrasing_ctx(xmlNodePtr n)
{
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		if (in_list(phrasing_ctx, (const char *)n->name) ||
		    in_list(phrasing_ok, (const char *)n->name))
			return 1;
		if (in_list(block_ok, (const char *)n->name) ||
		    strcmp((const char *)n->name, "body") == 0 ||
		    strcmp((const char *)n->name, "section") == 0)
			return 0;
	}
	return 0;
}

/* NULL when parent takes any child, else its allowed children. */
static const char *const *
child_rule(xmlNodePtr parent)
{
	size_t	 i;

	if (parent == NULL || parent->type != XML_ELEMENT_NODE)
		return NULL;
	for (i = 0; child_rules[i].parent != NULL; i++)
		if (strcmp(child_rules[i].parent,
		    (const char *)parent->name) == 0)
			return child_rules[i].children;
	return NULL;
}

static int
url_safe_absolute(const char *url)
{
	static const char *const ok[] = { "http://", "https://", "mailto:",
	    NULL };
	size_t	 i;

	for (i = 0; ok[i] != NULL; i++)
		if (strncasecmp(url, ok[i], strlen(ok[i])) == 0)
			return 1;
	return 0;
}

/* A language tag such as en, fr or zh-Hant: letters, digits, hyphens. */
static int
lang_ok(const char *v)
{
	size_t	 n;

	n = strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
	return n > 1 && n < 36 && v[n] == '\0' && isalpha((unsigned char)v[0]);
}

/*
 * Accessibility attributes: the language of a passage (lang, mirrored
 * in xml:lang) and the scope of a table header.  Returns 1 when the
 * attribute was handled.
 */
static int
copy_a11y_attr(const char *name, const char *v, xmlNodePtr dst)
{
	if (strcmp(name, "lang") == 0) {
		if (lang_ok(v)) {
			xmlSetProp(dst, BAD_CAST "lang", BAD_CAST v);
			xmlNodeSetLang(dst, BAD_CAST v);
		}
		return 1;
	}
	if (strcmp(name, "scope") == 0) {
		if (strcmp((const char *)dst->name, "th") == 0 &&
		    (strcmp(v, "row") == 0 || strcmp(v, "col") == 0 ||
		    strcmp(v, "rowgroup") == 0 || strcmp(v, "colgroup") == 0))
			xmlSetProp(dst, BAD_CAST "scope", BAD_CAST v);
		return 1;
	}
	return 0;
}

/* Copy the allowed attributes of src onto dst. */
static void
copy_attrs(xmlNodePtr src, xmlNodePtr dst)
{
	xmlAttrPtr	 a;
	xmlChar		*v;
	const char	*name;

	for (a = src->properties; a != NULL; a = a->next) {
		name = (const char *)a->name;
		v = xmlNodeGetContent((xmlNodePtr)a);
		if (v == NULL)
			continue;
		if (copy_a11y_attr(name, (const char *)v, dst)) {
			xmlFree(v);
			continue;
		}
		if (strcmp(name, "title") == 0 || strcmp(name, "class") == 0 ||
		    (strcmp(name, "datetime") == 0 &&
		    strcmp((const char *)dst->name, "a") != 0) ||
		    (strcmp(name, "dir") == 0 &&
		    (strcmp((char *)v, "ltr") == 0 ||
		    strcmp((char *)v, "rtl") == 0 ||
		    strcmp((char *)v, "auto") == 0)) ||
		    ((strcmp(name, "colspan") == 0 ||
		    strcmp(name, "rowspan") == 0) &&
		    (strcmp((const char *)dst->name, "td") == 0 ||
		    strcmp((const char *)dst->name, "th") == 0) &&
		    v[0] != '\0' && strspn((char *)v, "0123456789") ==
		    strlen((char *)v) && strlen((char *)v) < 4 && v[0] != '0') ||
		    (strcmp(name, "href") == 0 &&
		    strcmp((const char *)dst->name, "a") == 0 &&
		    url_safe_absolute((const char *)v)))
			xmlSetProp(dst, a->name, v);
		xmlFree(v);
	}
}

/* Does the text hold anything but white space? */
static int
has_ink(const xmlChar *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (!isspace(*s))
			return 1;
	return 0;
}

static void
warn_html(const struct xr *r, cmark_node *n, const char *what,
    const char *name)
{
	diag_warn(r->d->path, cmark_node_get_start_line(n),
	    cmark_node_get_start_column(n), "raw HTML %s <%s> dropped", what,
	    name);
}

static void
warn_unwrap(const struct xr *r, cmark_node *n, const char *name)
{
	diag_warn(r->d->path, cmark_node_get_start_line(n),
	    cmark_node_get_start_column(n), "raw HTML element <%s> is not "
	    "allowed; its content is kept", name);
}

/* Is there an a element at or above n?  Links do not nest. */
static int
in_anchor(xmlNodePtr n)
{
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (strcmp((const char *)n->name, "a") == 0)
			return 1;
	return 0;
}

/*
 * Copy the children of src (a parsed HTML body) under dst, keeping the
 * allowed elements and attributes and unwrapping unknown ones.  An
 * explicit stack keeps deep input off the C stack.
 */
static void
copy_html(struct xr *r, cmark_node *origin, xmlNodePtr src, xmlNodePtr dst)
{
	xmlNodePtr	 top = src, s, el;
	xmlNodePtr	*stack = NULL;
	size_t		 n = 0, cap = 0;
	const char	*name;
	const char *const *rule;
	int		 descend;

	s = src->children;
	while (s != NULL) {
		descend = 0;
		el = dst;
		rule = child_rule(dst);
		if (s->type == XML_TEXT_NODE || s->type == XML_CDATA_SECTION_NODE) {
			if (rule == NULL || !has_ink(s->content))
				xmlAddChild(dst, xmlNewText(s->content));
		} else if (s->type == XML_ELEMENT_NODE) {
			name = (const char *)s->name;
			if (in_list(drop_all, name)) {
				warn_html(r, origin, "element", name);
			} else if (rule != NULL && !in_list(rule, name)) {
				warn_html(r, origin, "misplaced element", name);
			} else if ((in_list(phrasing_ok, name) &&
			    !(strcmp(name, "a") == 0 && in_anchor(dst))) ||
			    (in_list(block_ok, name) && !is_phrasing_ctx(dst))) {
				el = xmlNewChild(dst, NULL, s->name, NULL);
				copy_attrs(s, el);
				descend = !in_list(void_elems, name);
			} else {
				/* Unknown or misplaced: keep its content. */
				if (strcmp(name, "html") != 0 &&
				    strcmp(name, "body") != 0)
					warn_unwrap(r, origin, name);
				descend = 1;
			}
		}
		if (descend && s->children != NULL) {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				stack = xreallocarray(stack, cap,
				    sizeof(*stack));
			}
			stack[n++] = dst;
			dst = el;
			s = s->children;
			continue;
		}
		while (s->next == NULL && s->parent != top && n > 0) {
			s = s->parent;
			dst = stack[--n];
		}
		s = s->next;
	}
	free(stack);
}

static htmlDocPtr
parse_html(const char *html)
{
	struct buf	 b = { NULL, 0, 0 };
	htmlDocPtr	 doc;

	BUF_LIT(&b, "<html><body>");
	buf_puts(&b, html);
	BUF_LIT(&b, "</body></html>");
	doc = htmlReadMemory(b.ptr, (int)b.len, NULL, "UTF-8",
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
	    HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT);
	buf_free(&b);
	return doc;
}

/* The body element of a parsed fragment, or NULL. */
static xmlNodePtr
html_body(htmlDocPtr doc)
{
	xmlNodePtr	 n;

	n = xmlDocGetRootElement(doc);
	if (n == NULL)
		return NULL;
	if (strcmp((const char *)n->name, "body") == 0)
		return n;
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, "body") == 0)
			return n;
	return NULL;
}

static void
html_block(struct xr *r, cmark_node *node)
{
	htmlDocPtr	 doc;
	xmlNodePtr	 body, last;

	if ((doc = parse_html(cmark_node_get_literal(node))) == NULL)
		return;
	last = r->cur->last;
	if ((body = html_body(doc)) != NULL)
		copy_html(r, node, body, r->cur);
	xmlFreeDoc(doc);
	if (r->cur->last != last)
		xhtml_nl(r->cur);
}

/* Inline raw HTML: one tag, comment or declaration per node. */
static void
html_inline(struct xr *r, cmark_node *node)
{
	const char	*lit = cmark_node_get_literal(node);
	const char	*s;
	htmlDocPtr	 doc;
	xmlNodePtr	 body, src, el, n;
	size_t		 len;

	if (strncmp(lit, "<!--", 4) == 0)
		return;				/* comments vanish */
	if (lit[1] == '!' || lit[1] == '?') {
		warn_html(r, node, "declaration", lit[1] == '?' ? "?" : "!");
		return;
	}
	if (lit[1] == '/') {
		s = lit + 2;
		len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		for (n = r->cur; n != NULL && n->_private == &inline_mark;
		    n = n->parent)
			if (strlen((const char *)n->name) == len &&
			    strncasecmp((const char *)n->name, s, len) == 0) {
				r->cur = n->parent;
				break;
			}
		return;
	}
	if ((doc = parse_html(lit)) == NULL)
		return;
	body = html_body(doc);
	src = body ? body->children : NULL;
	if (src != NULL && src->type == XML_ELEMENT_NODE) {
		if (!in_list(phrasing_ok, (const char *)src->name) ||
		    (strcmp((const char *)src->name, "a") == 0 &&
		    in_anchor(r->cur)))
			warn_html(r, node, "element", (const char *)src->name);
		else {
			el = xmlNewChild(r->cur, NULL, src->name, NULL);
			copy_attrs(src, el);
			len = strlen(lit);
			if (!in_list(void_elems, (const char *)src->name) &&
			    !(len >= 2 && lit[len - 2] == '/')) {
				el->_private = &inline_mark;
				r->cur = el;
			}
		}
	}
	xmlFreeDoc(doc);
}

/* highlight() callback: a span with a class, or plain text. */
static void
emit_span(void *arg, const char *cls, const char *s, size_t len)
{
	xmlNodePtr	 code = arg, span;

	if (cls == NULL) {
		xmlAddChild(code, xmlNewTextLen(BAD_CAST s, (int)len));
		return;
	}
	span = xmlNewChild(code, NULL, BAD_CAST "span", NULL);
	xmlSetProp(span, BAD_CAST "class", BAD_CAST cls);
	xmlAddChild(span, xmlNewTextLen(BAD_CAST s, (int)len));
}

static void
code_block(struct xr *r, cmark_node *node)
{
	const struct codeinfo	*ci = node_code(node);
	const char		*lit = cmark_node_get_literal(node);
	xmlNodePtr		 pre, code, p;
	char			*c;

	if (ci != NULL && ci->label != NULL) {
		p = xhtml_elem(r->cur, "p", ci->label);
		xmlSetProp(p, BAD_CAST "class", BAD_CAST "label");
		xhtml_nl(r->cur);
	}
	pre = xhtml_elem(r->cur, "pre", NULL);
	code = xhtml_elem(pre, "code", NULL);
	switch (ci ? ci->kind : CODE_TEXT) {
	case CODE_OUTPUT:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "output");
		xmlAddChild(code, xmlNewText(BAD_CAST lit));
		break;
	case CODE_PYTHON:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "code python");
		highlight(lit, strlen(lit), 0, emit_span, code);
		break;
	case CODE_PYCON:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "pycon");
		highlight(lit, strlen(lit), 1, emit_span, code);
		break;
	default:
		xmlSetProp(pre, BAD_CAST "class", BAD_CAST "code");
		if (ci != NULL && ci->lang[0] != '\0') {
			c = xasprintf("language-%s", ci->lang);
			xmlSetProp(code, BAD_CAST "class", BAD_CAST c);
			free(c);
		}
		xmlAddChild(code, xmlNewText(BAD_CAST lit));
		break;
	}
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
enter_link(struct xr *r, cmark_node *n)
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
enter_image(struct xr *r, cmark_node *n, cmark_iter *it)
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
	push(r, r->cur);
	cmark_iter_reset(it, n, CMARK_EVENT_EXIT);
}

/* Containers: create the element and descend into it. */
static void
enter(struct xr *r, cmark_node *n, cmark_iter *it)
{
	xmlNodePtr	 el;
	char		 name[4];
	const struct heading *h;

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
leaf(struct xr *r, cmark_node *n)
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
	struct xr		 r;
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
