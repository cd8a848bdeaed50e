/*
 * Raw HTML, judged while the book loads: every HTML node gets a verdict
 * (cmark user data) that both back ends render, and every problem is
 * reported here, once.  Each fragment is parsed by libxml2's HTML parser
 * and copied through an allow-list of elements and attributes into the
 * book's own document of sanitised nodes; comments, scripts, styles and
 * unknown markup never reach the output as text.  Local images become
 * the book's images; ids and <a name> become link targets.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "html.h"
#include "load.h"

/* What one judgement works on. */
struct judge {
	struct book	*b;
	struct doc	*d;
	cmark_node	*origin;	/* the HTML node: its position */
};

static void	warn_at(const struct judge *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
warn_at(const struct judge *j, const char *fmt, ...)
{
	struct buf	 msg = { NULL, 0, 0 };
	va_list		 ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	diag_warn(j->d->path, cmark_node_get_start_line(j->origin),
	    cmark_node_get_start_column(j->origin), "%s", msg.ptr);
	buf_free(&msg);
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
	"frame", "frameset", "head", "iframe", "input", "link",
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

/* An id others may link to: unique in the document, no blanks. */
static void
add_anchor(struct judge *j, const char *id, xmlNodePtr dst)
{
	struct doc	*d = j->d;

	if (*id == '\0' || strpbrk(id, " \t\n\r\f") != NULL)
		warn_at(j, "raw HTML id '%s' is not a valid id; dropped", id);
	else if (doc_id_taken(d, id))
		warn_at(j, "raw HTML id '%s' is already an id of this "
		    "document; dropped", id);
	else {
		d->anchors = xreallocarray(d->anchors, d->nanchors + 1,
		    sizeof(*d->anchors));
		d->anchors[d->nanchors++] = xstrdup(id);
		xmlSetProp(dst, BAD_CAST "id", BAD_CAST id);
	}
}

/*
 * Link attributes: an href of a safe absolute URL, or in a document
 * rendered alone any relative one (escaped as cmark does); id and an
 * a's name become targets.  Returns 1 when the attribute was handled.
 */
static int
copy_link_attr(struct judge *j, const char *name, const char *v,
    xmlNodePtr dst)
{
	size_t	 slen;
	char	*href;
	int	 a = strcmp((const char *)dst->name, "a") == 0;

	if (strcmp(name, "id") == 0 || (a && strcmp(name, "name") == 0)) {
		if (xmlHasProp(dst, BAD_CAST "id") == NULL)
			add_anchor(j, v, dst);
		return 1;
	}
	if (!a || strcmp(name, "href") != 0)
		return 0;
	if (url_scheme(v, &slen)) {
		if (!scheme_safe(v, slen)) {
			warn_at(j, "unsafe URL '%.*s:...' of raw HTML "
			    "dropped", (int)slen, v);
			return 1;
		}
	} else if (v[0] == '/' && v[1] != '/' && j->b->site != NULL) {
		href = site_url(j->b->site, v);
		xmlSetProp(dst, BAD_CAST "href", BAD_CAST href);
		free(href);
		return 1;
	} else if (!j->b->standalone) {
		warn_at(j, "raw HTML link '%s' dropped (its text is kept): "
		    "a Markdown link is resolved in the book, this is not",
		    v);
		return 1;
	}
	/* A book's hrefs must be URLs; alone, raw HTML is as written. */
	href = j->b->standalone ? xstrdup(v) : href_escape(v);
	xmlSetProp(dst, BAD_CAST "href", BAD_CAST href);
	free(href);
	return 1;
}

/* Copy the allowed attributes of src onto dst. */
static void
copy_attrs(struct judge *j, xmlNodePtr src, xmlNodePtr dst)
{
	xmlAttrPtr	 a;
	xmlChar		*v;
	const char	*name;

	for (a = src->properties; a != NULL; a = a->next) {
		name = (const char *)a->name;
		v = xmlNodeGetContent((xmlNodePtr)a);
		if (v == NULL)
			continue;
		if (copy_a11y_attr(name, (const char *)v, dst) ||
		    copy_link_attr(j, name, (const char *)v, dst)) {
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
		    strlen((char *)v) && strlen((char *)v) < 4 && v[0] != '0'))
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


static int
in_anchor(xmlNodePtr n)
{
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (strcmp((const char *)n->name, "a") == 0)
			return 1;
	return 0;
}

/*
 * An img: a local image becomes the book's (its src the EPUB's name);
 * a remote or missing one leaves its alt text in a span.  Returns the
 * new node, a child of dst.
 */
static xmlNodePtr
copy_img(struct judge *j, xmlNodePtr src, xmlNodePtr dst)
{
	const struct image	*im = NULL;
	xmlChar			*url, *alt;
	xmlNodePtr		 el;
	size_t			 slen;
	char			*href;

	url = xmlGetProp(src, BAD_CAST "src");
	alt = xmlGetProp(src, BAD_CAST "alt");
	if (alt == NULL || !has_ink(alt))
		warn_at(j, "image '%s' has no description (alt text): a "
		    "screen reader cannot say what it shows",
		    url ? (char *)url : "");
	if (url == NULL || *url == '\0')
		warn_at(j, "raw HTML <img> has no src; its description is "
		    "shown");
	else if (url_scheme((char *)url, &slen) && !j->b->standalone)
		warn_at(j, "remote image '%s' not included (guidebook never "
		    "fetches); its description is shown", url);
	else if (!j->b->standalone && (url[0] == '/' || url[0] == '\\'))
		warn_at(j, "image '%s' is an absolute path outside the book",
		    url);
	else if (j->b->standalone || (im = image_find(j->b, j->d,
	    (char *)url, cmark_node_get_start_line(j->origin),
	    cmark_node_get_start_column(j->origin))) != NULL) {
		el = xmlNewChild(dst, NULL, BAD_CAST "img", NULL);
		href = im ? xstrdup(im->name) : xstrdup((char *)url);
		xmlSetProp(el, BAD_CAST "src", BAD_CAST href);
		xmlSetProp(el, BAD_CAST "alt", alt ? alt : BAD_CAST "");
		copy_attrs(j, src, el);
		free(href);
		goto out;
	}
	el = xmlNewChild(dst, NULL, BAD_CAST "span", alt);
	xmlSetProp(el, BAD_CAST "class", BAD_CAST "image");
out:
	xmlFree(url);
	xmlFree(alt);
	return el;
}

/* One element of the source: copied, dropped, or unwrapped. */
static int
copy_element(struct judge *j, xmlNodePtr s, xmlNodePtr dst,
    xmlNodePtr *el)
{
	const char *const	*rule = child_rule(dst);
	const char		*name = (const char *)s->name;

	*el = dst;
	if (strcmp(name, "img") == 0 && (rule == NULL || in_list(rule, name))) {
		copy_img(j, s, dst);
		return 0;
	}
	if (in_list(drop_all, name)) {
		warn_at(j, "raw HTML element <%s> dropped", name);
		return 0;
	}
	if (rule != NULL && !in_list(rule, name)) {
		warn_at(j, "raw HTML misplaced element <%s> dropped", name);
		return 0;
	}
	if ((in_list(phrasing_ok, name) && !(strcmp(name, "a") == 0 &&
	    in_anchor(dst))) || (in_list(block_ok, name) &&
	    !is_phrasing_ctx(dst))) {
		*el = xmlNewChild(dst, NULL, s->name, NULL);
		copy_attrs(j, s, *el);
		return !in_list(void_elems, name);
	}
	/* Unknown or misplaced: keep its content. */
	if (strcmp(name, "html") != 0 && strcmp(name, "body") != 0)
		warn_at(j, "raw HTML element <%s> is not allowed; its content "
		    "is kept", name);
	return 1;
}

/*
 * Copy the children of src (a parsed HTML body) under dst, keeping the
 * allowed elements and attributes and unwrapping unknown ones.  An
 * explicit stack keeps deep input off the C stack.
 */
static void
copy_html(struct judge *j, xmlNodePtr src, xmlNodePtr dst)
{
	xmlNodePtr	 top = src, s, el;
	xmlNodePtr	*stack = NULL;
	size_t		 n = 0, cap = 0;
	int		 descend;

	s = src->children;
	while (s != NULL) {
		descend = 0;
		el = dst;
		if (s->type == XML_TEXT_NODE ||
		    s->type == XML_CDATA_SECTION_NODE) {
			if (child_rule(dst) == NULL || !has_ink(s->content))
				xmlAddChild(dst, xmlNewText(s->content));
		} else if (s->type == XML_ELEMENT_NODE)
			descend = copy_element(j, s, dst, &el);
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

/* The document that holds every sanitised node of the book. */
static xmlNodePtr
holder(struct book *b, const char *name)
{
	if (b->html_doc == NULL) {
		b->html_doc = xmlNewDoc(BAD_CAST "1.0");
		xmlDocSetRootElement(b->html_doc, xmlNewDocNode(b->html_doc,
		    NULL, BAD_CAST "html", NULL));
	}
	return xmlNewChild(xmlDocGetRootElement(b->html_doc), NULL,
	    BAD_CAST name, NULL);
}

static int
has_element(xmlNodePtr n)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/* Elements that start a line of their own in the plain text. */
static int
is_line_element(const xmlChar *name)
{
	static const char *const lines[] = {
		"address", "article", "aside", "blockquote", "br", "caption",
		"dd", "div", "dl", "dt", "figcaption", "figure", "footer",
		"h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
		"main", "nav", "ol", "p", "pre", "section", "table", "tbody",
		"tfoot", "thead", "tr", "ul", NULL
	};
	size_t	 i;

	for (i = 0; lines[i] != NULL; i++)
		if (strcmp((const char *)name, lines[i]) == 0)
			return 1;
	return 0;
}

static int
is_cell(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE &&
	    (strcmp((const char *)n->name, "td") == 0 ||
	    strcmp((const char *)n->name, "th") == 0);
}

/* Is cell n the first of its row? */
static int
first_cell(xmlNodePtr n)
{
	for (n = n->prev; n != NULL; n = n->prev)
		if (is_cell(n))
			return 0;
	return 1;
}

/* Add c to t unless it would double a separator or open the text. */
static void
plain_sep(struct buf *t, char c)
{
	while (t->len > 0 && t->ptr[t->len - 1] == ' ')
		t->ptr[--t->len] = '\0';
	if (t->len == 0 || t->ptr[t->len - 1] == '\n')
		return;
	buf_putc(t, c);
}

/*
 * Text for man pages: blanks collapsed, a line for each block-level
 * element (paragraphs, list items, table rows), " | " between the
 * cells of a row.  A walk without recursion.  Caller frees.
 */
static char *
plain_text(xmlNodePtr top)
{
	struct buf	 t = { NULL, 0, 0 };
	xmlNodePtr	 n = top->children;
	const xmlChar	*s;

	while (n != NULL) {
		if (n->type == XML_TEXT_NODE && n->content != NULL) {
			for (s = n->content; *s != '\0'; s++)
				if (!isspace(*s))
					buf_putc(&t, *s);
				else if (t.len > 0 && t.ptr[t.len - 1] != ' ' &&
				    t.ptr[t.len - 1] != '\n')
					buf_putc(&t, ' ');
		} else if (n->type == XML_ELEMENT_NODE) {
			if (is_line_element(n->name))
				plain_sep(&t, '\n');
			else if (is_cell(n) && !first_cell(n)) {
				plain_sep(&t, ' ');
				buf_puts(&t, "| ");
			}
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
		}
		/* Next: a sibling, or the sibling of the nearest ancestor. */
		while (n != top && n->next == NULL) {
			n = n->parent;
			if (n != top && n->type == XML_ELEMENT_NODE &&
			    is_line_element(n->name))
				plain_sep(&t, '\n');
		}
		n = n == top ? NULL : n->next;
	}
	while (t.len > 0 && (t.ptr[t.len - 1] == ' ' ||
	    t.ptr[t.len - 1] == '\n'))
		t.ptr[--t.len] = '\0';
	if (t.ptr == NULL)
		buf_puts(&t, "");
	return buf_take(&t);
}

void
html_judge_block(struct book *b, struct doc *d, cmark_node *n,
    struct html *h)
{
	struct judge	 j = { b, d, n };
	htmlDocPtr	 doc;
	xmlNodePtr	 body;

	memset(h, 0, sizeof(*h));
	h->kind = HTML_BLOCK;
	h->node = holder(b, "div");
	if ((doc = parse_html(cmark_node_get_literal(n))) != NULL) {
		if ((body = html_body(doc)) != NULL)
			copy_html(&j, body, h->node);
		xmlFreeDoc(doc);
	}
	h->text = plain_text(h->node);
	if (h->text[0] == '\0' && !has_element(h->node))
		h->kind = HTML_NOTHING;		/* a comment, a script */
}

/*
 * Inline raw HTML is one tag per node: an end tag closes the element
 * its start tag opened; a start tag is judged alone.  in_link says
 * whether an a element is open here (a Markdown link around it, or an
 * earlier raw <a> of the same paragraph), as links do not nest.
 */
void
html_judge_inline(struct book *b, struct doc *d, cmark_node *n,
    int in_link, struct html *h)
{
	struct judge	 j = { b, d, n };
	const char	*lit = cmark_node_get_literal(n), *s;
	htmlDocPtr	 doc;
	xmlNodePtr	 body, src;
	size_t		 len;

	memset(h, 0, sizeof(*h));
	h->kind = HTML_NOTHING;
	if (strncmp(lit, "<!--", 4) == 0)
		return;				/* comments vanish */
	if (lit[1] == '!' || lit[1] == '?') {
		warn_at(&j, "raw HTML declaration <%c dropped", lit[1]);
		return;
	}
	if (lit[1] == '/') {
		s = lit + 2;
		len = strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		h->kind = HTML_CLOSE;
		h->name = xstrndup(s, len);
		for (char *p = h->name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		return;
	}
	if ((doc = parse_html(lit)) == NULL)
		return;
	body = html_body(doc);
	src = body ? body->children : NULL;
	if (src != NULL && src->type == XML_ELEMENT_NODE) {
		if (strcmp((const char *)src->name, "img") == 0) {
			h->node = holder(b, "span");
			copy_img(&j, src, h->node);
			h->kind = HTML_VOID;
			h->node = h->node->children;
		} else if (!in_list(phrasing_ok, (const char *)src->name) ||
		    (strcmp((const char *)src->name, "a") == 0 && in_link))
			warn_at(&j, "raw HTML element <%s> dropped",
			    (const char *)src->name);
		else {
			h->node = holder(b, (const char *)src->name);
			copy_attrs(&j, src, h->node);
			len = strlen(lit);
			h->kind = in_list(void_elems, (const char *)src->name) ||
			    (len >= 2 && lit[len - 2] == '/') ? HTML_VOID :
			    HTML_OPEN;
			h->name = xstrdup((const char *)src->name);
		}
	}
	xmlFreeDoc(doc);
	if (h->kind == HTML_VOID && h->node != NULL) {
		xmlChar *alt = xmlGetProp(h->node, BAD_CAST "alt");

		h->text = alt ? xstrdup((char *)alt) : plain_text(h->node);
		xmlFree(alt);
	}
}

void
html_free(struct html *h)
{
	free(h->name);
	free(h->text);
}
