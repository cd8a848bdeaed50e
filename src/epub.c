/*
 * EPUB 3 writer.  Every XML file is a libxml2 tree; the archive is
 * built in memory with libzip (mimetype first and stored, timestamps
 * from the book's epoch in UTC) so that callers decide where the bytes
 * go.  Generated pages: cover, title page, nav (the contents page, in
 * the spine) and one page per part.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>
#include <zip.h>

#include "epub.h"
#include "index.h"
#include "pool.h"
#include "uuid.h"
#include "xhtml.h"

#define OPF_NS	"http://www.idpf.org/2007/opf"
#define DC_NS	"http://purl.org/dc/elements/1.1/"
#define NCX_NS	"http://www.daisy.org/z3986/2005/ncx/"
#define OCF_NS	"urn:oasis:names:tc:opendocument:xmlns:container"

#define CSS_NAME "style.css"

/*
 * Used when the book names no stylesheet.  word-wrap (the old name) comes
 * before overflow-wrap, which it would otherwise override; "monospace,
 * monospace" stops WebKit and Blink shrinking code below the reader's
 * size.
 */
static const char default_css[] =
"body { margin: 0 0.5em; line-height: 1.4; word-wrap: break-word; "
"overflow-wrap: break-word; }\n"
"h1, h2, h3, h4 { line-height: 1.2; page-break-after: avoid; }\n"
"pre { white-space: pre-wrap; word-wrap: break-word; "
"overflow-wrap: anywhere; font-size: 0.85em; margin: 0.8em 0 0.8em 1em; }\n"
"pre.output { border-left: 0.2em solid; padding-left: 0.6em; }\n"
"code, pre { font-family: monospace, monospace; }\n"
"blockquote { margin: 0.8em 1.5em; }\n"
"nav ol { list-style-type: none; }\n";

struct ep;

/* Builds a page when the archive asks for its bytes (caller frees). */
typedef xmlDocPtr (*page_fn)(const struct ep *, const void *arg);

struct entry {
	char		*name;
	char		*data;		/* NULL for a page built on demand */
	size_t		 len;
	int		 store;		/* no compression */
	page_fn		 gen;		/* on demand: builds the page */
	const void	*arg;
	size_t		 weight;	/* about how much work: bytes */
};

/* One page of the index: the terms filed under a letter. */
struct ixgroup {
	int		 letter;
	size_t		 first, count;	/* in book_index.terms */
	char		 label[16];	/* "A", or "Symbols" */
	char		 href[32];
	char		 id[16];
};

struct ep {
	const struct book	*b;
	struct ixgroup		*groups;
	size_t			 ngroups;
	const struct epub_opts	*o;
	struct entry		*e;
	size_t			 n;
	xmlDocPtr		 opf;
	xmlNodePtr		 meta, manifest, spine;
	xmlNsPtr		 dc;
	char			 uuid[48];
	size_t			 play;		/* NCX playOrder */
	int			 has_cover;
};

static int
has_index(const struct ep *ep)
{
	return ep->b->ix != NULL && ep->b->ix->n > 0;
}

static void
add_entry(struct ep *ep, const char *name, char *data, size_t len,
    int store)
{
	ep->e = xreallocarray(ep->e, ep->n + 1, sizeof(*ep->e));
	ep->e[ep->n].name = xstrdup(name);
	ep->e[ep->n].data = data;
	ep->e[ep->n].len = len;
	ep->e[ep->n].store = store;
	ep->e[ep->n].gen = NULL;
	ep->e[ep->n].arg = NULL;
	ep->e[ep->n].weight = len;
	ep->n++;
}

/* Serialise and free; *len gets the size.  Caller frees the result. */
static char *
serialize(xmlDocPtr doc, int format, size_t *len)
{
	struct buf	 out = { NULL, 0, 0 };

	xhtml_serialize(doc, format, &out);
	xmlFreeDoc(doc);
	*len = out.len;
	return buf_take(&out);
}

/* Serialise and add an XML document under EPUB/ (or as named). */
static void
add_xml(struct ep *ep, const char *name, xmlDocPtr doc, int format)
{
	char	*data;
	size_t	 len;

	data = serialize(doc, format, &len);
	add_entry(ep, name, data, len, 0);
}

static xmlNodePtr
child(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	xmlNodePtr	 el;

	el = xmlNewChild(parent, ns, BAD_CAST name, NULL);
	if (text != NULL)
		xmlAddChild(el, xmlNewText(BAD_CAST text));
	return el;
}

static void
prop(xmlNodePtr el, const char *name, const char *value)
{
	xmlSetProp(el, BAD_CAST name, BAD_CAST value);
}

static void
epub_type(xmlNodePtr el, const char *type)
{
	xmlNsPtr	 ns;

	ns = xmlSearchNs(el->doc, el, BAD_CAST "epub");
	xmlSetNsProp(el, ns, BAD_CAST "type", BAD_CAST type);
}

static void
manifest_item(struct ep *ep, const char *id, const char *href,
    const char *type, const char *props)
{
	xmlNodePtr	 it;

	it = child(ep->manifest, NULL, "item", NULL);
	prop(it, "id", id);
	prop(it, "href", href);
	prop(it, "media-type", type);
	if (props != NULL)
		prop(it, "properties", props);
}

static void
spine_item(struct ep *ep, const char *idref)
{
	xmlNodePtr	 it;

	it = child(ep->spine, NULL, "itemref", NULL);
	prop(it, "idref", idref);
}

/* An XHTML page of the book: manifest, spine, archive. */
static void
add_page(struct ep *ep, const char *id, const char *href, xmlDocPtr doc,
    const char *props, int in_spine)
{
	char	*name;

	manifest_item(ep, id, href, "application/xhtml+xml", props);
	if (in_spine)
		spine_item(ep, id);
	name = xasprintf("EPUB/%s", href);
	add_xml(ep, name, doc, 0);
	free(name);
}

/*
 * A page of the spine built only when the archive is written, so that
 * one chapter at a time is in memory however long the book.
 */
static void
add_lazy_page(struct ep *ep, const char *id, const char *href, page_fn gen,
    const void *arg, size_t weight)
{
	char	*name;

	manifest_item(ep, id, href, "application/xhtml+xml", NULL);
	spine_item(ep, id);
	name = xasprintf("EPUB/%s", href);
	add_entry(ep, name, NULL, 0, 0);
	ep->e[ep->n - 1].gen = gen;
	ep->e[ep->n - 1].arg = arg;
	ep->e[ep->n - 1].weight = weight;
	free(name);
}

static void
meta_property(struct ep *ep, const char *property, const char *value,
    const char *refines)
{
	xmlNodePtr	 m;

	m = child(ep->meta, NULL, "meta", value);
	prop(m, "property", property);
	if (refines != NULL)
		prop(m, "refines", refines);
}

static void
opf_start(struct ep *ep)
{
	const struct book	*b = ep->b;
	xmlNodePtr		 root, el;
	xmlNsPtr		 ns;
	struct tm		 tm;
	char			 when[32], id[32];
	char			*name;
	size_t			 i;

	ep->opf = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewDocNode(ep->opf, NULL, BAD_CAST "package", NULL);
	xmlDocSetRootElement(ep->opf, root);
	ns = xmlNewNs(root, BAD_CAST OPF_NS, NULL);
	xmlSetNs(root, ns);
	prop(root, "version", "3.0");
	prop(root, "unique-identifier", "book-id");
	xmlNodeSetLang(root, BAD_CAST b->language);

	ep->meta = child(root, NULL, "metadata", NULL);
	ep->dc = xmlNewNs(ep->meta, BAD_CAST DC_NS, BAD_CAST "dc");

	name = xstrdup(b->identifier ? b->identifier : b->title);
	uuid_v5(name, ep->uuid + 9);
	memcpy(ep->uuid, "urn:uuid:", 9);
	free(name);
	el = child(ep->meta, ep->dc, "identifier", ep->uuid);
	prop(el, "id", "book-id");
	el = child(ep->meta, ep->dc, "title", b->title);
	prop(el, "id", "title");
	meta_property(ep, "title-type", "main", "#title");
	if (b->subtitle != NULL) {
		el = child(ep->meta, ep->dc, "title", b->subtitle);
		prop(el, "id", "subtitle");
		meta_property(ep, "title-type", "subtitle", "#subtitle");
	}
	child(ep->meta, ep->dc, "language", b->language);
	for (i = 0; i < b->nauthors; i++) {
		snprintf(id, sizeof(id), "creator-%zu", i + 1);
		el = child(ep->meta, ep->dc, "creator", b->authors[i]);
		prop(el, "id", id);
		snprintf(id, sizeof(id), "#creator-%zu", i + 1);
		el = child(ep->meta, NULL, "meta", "aut");
		prop(el, "refines", id);
		prop(el, "property", "role");
		prop(el, "scheme", "marc:relators");
	}
	child(ep->meta, ep->dc, "date", b->date);
	if (b->version != NULL) {
		name = xasprintf("Version %s", b->version);
		child(ep->meta, ep->dc, "description", name);
		free(name);
	}
	gmtime_r(&b->epoch, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	meta_property(ep, "dcterms:modified", when, NULL);

	ep->manifest = child(root, NULL, "manifest", NULL);
	ep->spine = child(root, NULL, "spine", NULL);
	prop(ep->spine, "toc", "ncx");
}

/*
 * The conformance claim of EPUB Accessibility 1.1 (section 5.2), with
 * the evaluator it requires: the book's first author.  It stands only
 * while Ace by DAISY finds no violation in the book (make check-a11y);
 * a book with no author makes no claim.
 */
#define A11Y_CONFORMS_TO "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"

/* Accessibility metadata, from what the book holds. */
static void
opf_a11y(struct ep *ep)
{
	xmlNodePtr	 m;

	meta_property(ep, "schema:accessMode", "textual", NULL);
	if (ep->has_cover)
		meta_property(ep, "schema:accessMode", "visual", NULL);
	meta_property(ep, "schema:accessModeSufficient", "textual", NULL);
	meta_property(ep, "schema:accessibilityFeature",
	    "structuralNavigation", NULL);
	meta_property(ep, "schema:accessibilityFeature", "tableOfContents",
	    NULL);
	meta_property(ep, "schema:accessibilityFeature", "readingOrder",
	    NULL);
	meta_property(ep, "schema:accessibilityFeature",
	    "displayTransformability", NULL);
	/* Every page carries DPUB-ARIA roles beside its epub:type. */
	meta_property(ep, "schema:accessibilityFeature", "ARIA", NULL);
	if (ep->has_cover)
		meta_property(ep, "schema:accessibilityFeature",
		    "alternativeText", NULL);
	if (has_index(ep))
		meta_property(ep, "schema:accessibilityFeature", "index",
		    NULL);
	meta_property(ep, "schema:accessibilityHazard", "none", NULL);
	meta_property(ep, "schema:accessibilitySummary",
	    ep->has_cover ?
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. The cover image has a text "
	    "alternative; there are no other images." :
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. There are no images.", NULL);
	if (ep->b->nauthors > 0) {
		m = child(ep->meta, NULL, "meta", A11Y_CONFORMS_TO);
		prop(m, "property", "dcterms:conformsTo");
		prop(m, "id", "conformance");
		meta_property(ep, "a11y:certifiedBy", ep->b->authors[0],
		    "#conformance");
	}
}

static int
read_resource(const char *path, char **data, size_t *len)
{
	return file_read(path, data, len);
}

/* The cover: the image and a page that shows it. */
static int
add_cover(struct ep *ep)
{
	const struct book	*b = ep->b;
	char			*data;
	size_t			 len;
	const char		*type, *name;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, img, m;

	if (read_resource(b->cover, &data, &len) == -1)
		return -1;
	if (len > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0) {
		type = "image/png";
		name = "cover.png";
	} else if (len > 3 && memcmp(data, "\xFF\xD8\xFF", 3) == 0) {
		type = "image/jpeg";
		name = "cover.jpg";
	} else {
		diag_error(b->cover, 0, 0, "the cover is neither PNG nor JPEG");
		free(data);
		return -1;
	}
	ep->has_cover = 1;
	manifest_item(ep, "cover-image", name, type, "cover-image");
	m = child(ep->meta, NULL, "meta", NULL);
	prop(m, "name", "cover");
	prop(m, "content", "cover-image");
	{
		char *full = xasprintf("EPUB/%s", name);
		add_entry(ep, full, data, len, 1);
		free(full);
	}
	doc = xhtml_skeleton(b, b->title, CSS_NAME, XHTML_EPUB, &body);
	sec = child(body, NULL, "section", NULL);
	epub_type(sec, "cover");
	prop(sec, "class", "cover");
	img = child(sec, NULL, "img", NULL);
	prop(img, "src", name);
	{
		char *alt = xasprintf("Cover of %s", b->title);
		prop(img, "alt", alt);
		free(alt);
	}
	prop(img, "role", "doc-cover");
	xhtml_nl(body);
	add_page(ep, "cover", "cover.xhtml", doc, NULL, 1);
	return 0;
}

static void
add_title_page(struct ep *ep)
{
	const struct book	*b = ep->b;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, el;
	size_t			 i;
	char			*s;

	doc = xhtml_skeleton(b, b->title, CSS_NAME, XHTML_EPUB, &body);
	sec = child(body, NULL, "section", NULL);
	epub_type(sec, "titlepage");
	prop(sec, "class", "titlepage");
	xhtml_nl(sec);
	el = child(sec, NULL, "h1", b->title);
	prop(el, "class", "title");
	xhtml_nl(sec);
	if (b->subtitle != NULL) {
		el = child(sec, NULL, "p", b->subtitle);
		prop(el, "class", "subtitle");
		xhtml_nl(sec);
	}
	for (i = 0; i < b->nauthors; i++) {
		el = child(sec, NULL, "p", b->authors[i]);
		prop(el, "class", "author");
		xhtml_nl(sec);
	}
	s = b->version ? xasprintf("Version %s, %s", b->version, b->date) :
	    xstrdup(b->date);
	el = child(sec, NULL, "p", s);
	prop(el, "class", "edition");
	free(s);
	xhtml_nl(sec);
	xhtml_nl(body);
	add_page(ep, "title-page", "title.xhtml", doc, NULL, 1);
}

static void
add_part_page(struct ep *ep, size_t p)
{
	const struct book	*b = ep->b;
	const struct part	*part = &b->parts[p];
	const struct doc	*d;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, ul, li, a;
	char			 id[32];
	size_t			 i;

	doc = xhtml_skeleton(b, part->title, CSS_NAME, XHTML_EPUB, &body);
	sec = child(body, NULL, "section", NULL);
	epub_type(sec, "part");
	prop(sec, "role", "doc-part");
	prop(sec, "class", "part");
	prop(sec, "aria-labelledby", "part-title");
	xhtml_nl(sec);
	a = child(sec, NULL, "h1", part->title);
	prop(a, "id", "part-title");
	xhtml_nl(sec);
	ul = child(sec, NULL, "ul", NULL);
	prop(ul, "class", "part-contents");
	xhtml_nl(ul);
	for (i = part->first; i < part->first + part->count; i++) {
		d = &b->chapters[i];
		li = child(ul, NULL, "li", NULL);
		a = child(li, NULL, "a", d->title);
		prop(a, "href", d->xhtml);
		if (d->description != NULL && strcmp(d->description,
		    d->title) != 0) {
			xmlAddChild(li, xmlNewText(BAD_CAST ": "));
			xmlAddChild(li, xmlNewText(BAD_CAST d->description));
		}
		xhtml_nl(ul);
	}
	xhtml_nl(sec);
	xhtml_nl(body);
	snprintf(id, sizeof(id), "part-%02zu", p + 1);
	add_page(ep, id, part->xhtml, doc, NULL, 1);
}

/* One index entry's places, grouped by chapter, in book order. */
static void
index_refs(xmlNodePtr li, const struct ix_term *t)
{
	const struct doc	*d;
	xmlNodePtr		 a;
	size_t			 i, j;
	char			*href;
	int			 open;

	for (i = 0; i < t->nrefs; i = j) {
		d = t->refs[i].doc;
		xmlAddChild(li, xmlNewText(BAD_CAST (i ? "; " : ": ")));
		a = child(li, NULL, "a", d->title);
		prop(a, "href", d->xhtml);
		open = 0;
		for (j = i; j < t->nrefs && t->refs[j].doc == d; j++) {
			if (t->refs[j].heading == NULL ||
			    t->refs[j].heading->text[0] == '\0')
				continue;
			xmlAddChild(li, xmlNewText(BAD_CAST (open ? ", " :
			    " (")));
			open = 1;
			href = xasprintf("%s#%s", d->xhtml,
			    t->refs[j].heading->id);
			a = child(li, NULL, "a", t->refs[j].heading->text);
			prop(a, "href", href);
			free(href);
		}
		if (open)
			xmlAddChild(li, xmlNewText(BAD_CAST ")"));
	}
}

/*
 * The back-of-book index: a first page with the letters, then one page
 * per letter, so that no document grows with the size of the book (e-ink
 * readers slow down on long documents) and each is built on its own.
 */
static void
index_groups(struct ep *ep)
{
	const struct book_index	*ix = ep->b->ix;
	struct ixgroup		*g;
	size_t			 i;
	int			 l;

	for (i = 0; i < ix->n; i++) {
		l = index_letter(&ix->terms[i]);
		if (ep->ngroups == 0 || ep->groups[ep->ngroups - 1].letter != l) {
			ep->groups = xreallocarray(ep->groups, ep->ngroups + 1,
			    sizeof(*ep->groups));
			g = &ep->groups[ep->ngroups++];
			g->letter = l;
			g->first = i;
			g->count = 0;
			snprintf(g->label, sizeof(g->label), "%s", l == '#' ?
			    "Symbols" : (char[]){ (char)l, '\0' });
			snprintf(g->href, sizeof(g->href), "index-%c.xhtml",
			    l == '#' ? '0' : tolower(l));
			snprintf(g->id, sizeof(g->id), "index-%c",
			    l == '#' ? '0' : tolower(l));
		}
		ep->groups[ep->ngroups - 1].count++;
	}
}

static xmlNodePtr
index_section(xmlNodePtr body, const char *title_id)
{
	xmlNodePtr	 sec;

	sec = child(body, NULL, "section", NULL);
	epub_type(sec, "index");
	prop(sec, "role", "doc-index");
	prop(sec, "class", "index");
	prop(sec, "aria-labelledby", title_id);
	xhtml_nl(sec);
	return sec;
}

static xmlDocPtr
index_page(const struct ep *ep, const void *arg)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 body, sec, el, ul, li;
	size_t		 k;

	doc = xhtml_skeleton(ep->b, "Index", CSS_NAME, XHTML_EPUB, &body);
	sec = index_section(body, "index-title");
	el = child(sec, NULL, "h1", "Index");
	prop(el, "id", "index-title");
	xhtml_nl(sec);
	ul = child(sec, NULL, "ul", NULL);
	prop(ul, "class", "index-letters");
	xhtml_nl(ul);
	for (k = 0; k < ep->ngroups; k++) {
		li = child(ul, NULL, "li", NULL);
		el = child(li, NULL, "a", ep->groups[k].label);
		prop(el, "href", ep->groups[k].href);
		xhtml_nl(ul);
	}
	xhtml_nl(sec);
	xhtml_nl(body);
	(void)arg;
	return doc;
}

static xmlDocPtr
index_letter_page(const struct ep *ep, const void *arg)
{
	const struct ixgroup	*g = arg;
	const struct book_index	*ix = ep->b->ix;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, el, ul, li;
	size_t			 i;
	char			*title;

	title = xasprintf("Index: %s", g->label);
	doc = xhtml_skeleton(ep->b, title, CSS_NAME, XHTML_EPUB, &body);
	sec = index_section(body, g->id);
	el = child(sec, NULL, "h1", title);
	prop(el, "id", g->id);
	free(title);
	xhtml_nl(sec);
	ul = child(sec, NULL, "ul", NULL);
	xhtml_nl(ul);
	for (i = g->first; i < g->first + g->count; i++) {
		const struct ix_term *t = &ix->terms[i];

		li = child(ul, NULL, "li", NULL);
		if (t->code)
			child(li, NULL, "code", t->text);
		else
			xmlAddChild(li, xmlNewText(BAD_CAST t->text));
		index_refs(li, t);
		xhtml_nl(ul);
	}
	xhtml_nl(sec);
	xhtml_nl(body);
	return doc;
}


/*
 * Navigation trees.  The same walk builds nav.xhtml (nested ol) and
 * toc.ncx (nested navPoint); a tree_ops pair says how to add an entry.
 */
struct navtree {
	int		 ncx;
	xmlNodePtr	 root;		/* ol, or navMap */
	size_t		*play;
};

/* Add an entry under parent (an li or navPoint; NULL for the root). */
static xmlNodePtr
nav_add(struct navtree *t, xmlNodePtr parent, const char *label,
    const char *href)
{
	xmlNodePtr	 list, li, el;
	char		 buf[32];

	if (t->ncx) {
		li = child(parent ? parent : t->root, NULL, "navPoint", NULL);
		++*t->play;
		snprintf(buf, sizeof(buf), "nav-%zu", *t->play);
		prop(li, "id", buf);
		snprintf(buf, sizeof(buf), "%zu", *t->play);
		prop(li, "playOrder", buf);
		el = child(li, NULL, "navLabel", NULL);
		child(el, NULL, "text", label);
		el = child(li, NULL, "content", NULL);
		prop(el, "src", href);
		return li;
	}
	if (parent == NULL)
		list = t->root;
	else {
		/* An li holds at most one ol, after its link. */
		for (list = parent->children; list != NULL; list = list->next)
			if (list->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)list->name, "ol") == 0)
				break;
		if (list == NULL) {
			list = child(parent, NULL, "ol", NULL);
			xhtml_nl(list);
		}
	}
	li = child(list, NULL, "li", NULL);
	el = child(li, NULL, "a", label);
	prop(el, "href", href);
	xhtml_nl(list);
	return li;
}

/* A chapter and its sections, down to opts->toc_depth levels. */
static void
nav_chapter(struct ep *ep, struct navtree *t, xmlNodePtr parent,
    const struct doc *d)
{
	struct {
		int		 level;
		xmlNodePtr	 node;
	} stack[8];
	const struct heading	*h, *title = doc_title(d);
	size_t			 n = 1, i;
	int			 level;
	char			*href;

	stack[0].level = 1;
	stack[0].node = nav_add(t, parent, d->title, d->xhtml);
	for (i = 0; i < d->nheads; i++) {
		h = &d->heads[i];
		if (h == title || h->text[0] == '\0')
			continue;	/* the chapter entry; or nothing to show */
		level = h->level < 2 ? 2 : h->level;
		if (level > 1 + ep->o->toc_depth)
			continue;
		while (n > 1 && stack[n - 1].level >= level)
			n--;
		href = xasprintf("%s#%s", d->xhtml, h->id);
		stack[n].level = level;
		stack[n].node = nav_add(t, stack[n - 1].node, h->text, href);
		n++;
		free(href);
	}
}

static void
nav_book(struct ep *ep, struct navtree *t)
{
	const struct book	*b = ep->b;
	xmlNodePtr		 part = NULL, li;
	size_t			 i, k, p = NO_PART;

	nav_add(t, NULL, b->index.title, b->index.xhtml);
	for (i = 0; i < b->nchapters; i++) {
		const struct doc *d = &b->chapters[i];

		if (d->part != p) {
			p = d->part;
			part = p == NO_PART ? NULL : nav_add(t, NULL,
			    b->parts[p].title, b->parts[p].xhtml);
		}
		nav_chapter(ep, t, part, d);
	}
	if (has_index(ep)) {
		li = nav_add(t, NULL, "Index", "index.xhtml");
		for (k = 0; k < ep->ngroups; k++)
			nav_add(t, li, ep->groups[k].label,
			    ep->groups[k].href);
	}
}

static void
add_nav(struct ep *ep, const char *first_chapter)
{
	const struct book	*b = ep->b;
	struct navtree		 t;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, nav, ol, li, a;
	size_t			 play = 0;

	doc = xhtml_skeleton(b, "Contents", CSS_NAME, XHTML_EPUB, &body);
	nav = child(body, NULL, "nav", NULL);
	epub_type(nav, "toc");
	prop(nav, "id", "toc");
	prop(nav, "role", "doc-toc");
	prop(nav, "aria-labelledby", "toc-title");
	a = child(nav, NULL, "h1", "Contents");
	prop(a, "id", "toc-title");
	memset(&t, 0, sizeof(t));
	t.root = child(nav, NULL, "ol", NULL);
	xhtml_nl(t.root);
	t.play = &play;
	nav_book(ep, &t);
	xhtml_nl(body);

	nav = child(body, NULL, "nav", NULL);
	epub_type(nav, "landmarks");
	prop(nav, "hidden", "hidden");
	prop(nav, "aria-label", "Landmarks");
	ol = child(nav, NULL, "ol", NULL);
	if (ep->has_cover) {
		li = child(ol, NULL, "li", NULL);
		a = child(li, NULL, "a", "Cover");
		epub_type(a, "cover");
		prop(a, "href", "cover.xhtml");
	}
	li = child(ol, NULL, "li", NULL);
	a = child(li, NULL, "a", "Title Page");
	epub_type(a, "titlepage");
	prop(a, "href", "title.xhtml");
	li = child(ol, NULL, "li", NULL);
	a = child(li, NULL, "a", "Contents");
	epub_type(a, "toc");
	prop(a, "href", "nav.xhtml");
	li = child(ol, NULL, "li", NULL);
	a = child(li, NULL, "a", "Start of Content");
	epub_type(a, "bodymatter");
	prop(a, "href", first_chapter);
	if (has_index(ep)) {
		li = child(ol, NULL, "li", NULL);
		a = child(li, NULL, "a", "Index");
		epub_type(a, "index");
		prop(a, "href", "index.xhtml");
	}
	xhtml_nl(body);
	add_page(ep, "nav", "nav.xhtml", doc, "nav", 1);
}

static void
add_ncx(struct ep *ep)
{
	const struct book	*b = ep->b;
	struct navtree		 t;
	xmlDocPtr		 doc;
	xmlNodePtr		 root, head, m, el;
	size_t			 play = 0;
	char			 depth[16];

	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewDocNode(doc, NULL, BAD_CAST "ncx", NULL);
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, BAD_CAST NCX_NS, NULL));
	prop(root, "version", "2005-1");
	xmlNodeSetLang(root, BAD_CAST b->language);
	head = child(root, NULL, "head", NULL);
	el = child(root, NULL, "docTitle", NULL);
	child(el, NULL, "text", b->title);
	memset(&t, 0, sizeof(t));
	t.ncx = 1;
	t.root = child(root, NULL, "navMap", NULL);
	t.play = &play;
	nav_book(ep, &t);

	m = child(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:uid");
	prop(m, "content", ep->uuid);
	m = child(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:depth");
	snprintf(depth, sizeof(depth), "%d", ep->b->nparts ? 2 +
	    ep->o->toc_depth : 1 + ep->o->toc_depth);
	prop(m, "content", depth);
	m = child(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:totalPageCount");
	prop(m, "content", "0");
	m = child(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:maxPageNumber");
	prop(m, "content", "0");
	manifest_item(ep, "ncx", "toc.ncx", "application/x-dtbncx+xml", NULL);
	add_xml(ep, "EPUB/toc.ncx", doc, 1);
}

static void
add_container(struct ep *ep)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, files, f;

	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewDocNode(doc, NULL, BAD_CAST "container", NULL);
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, BAD_CAST OCF_NS, NULL));
	prop(root, "version", "1.0");
	files = child(root, NULL, "rootfiles", NULL);
	f = child(files, NULL, "rootfile", NULL);
	prop(f, "full-path", "EPUB/package.opf");
	prop(f, "media-type", "application/oebps-package+xml");
	add_xml(ep, "META-INF/container.xml", doc, 1);
}

static int
add_css(struct ep *ep)
{
	char	*data;
	size_t	 len;

	if (ep->b->stylesheet != NULL) {
		if (read_resource(ep->b->stylesheet, &data, &len) == -1)
			return -1;
	} else {
		len = sizeof(default_css) - 1;
		data = xstrndup(default_css, len);
	}
	manifest_item(ep, "css", CSS_NAME, "text/css", NULL);
	add_entry(ep, "EPUB/" CSS_NAME, data, len, 0);
	return 0;
}

static xmlDocPtr
contents_page(const struct ep *ep, const void *arg)
{
	return xhtml_document(ep->b, arg, CSS_NAME, XHTML_EPUB,
	    "introduction", "doc-introduction");
}

static xmlDocPtr
chapter_page(const struct ep *ep, const void *arg)
{
	return xhtml_document(ep->b, arg, CSS_NAME, XHTML_EPUB, "chapter",
	    "doc-chapter");
}

static void
add_chapters(struct ep *ep)
{
	const struct book	*b = ep->b;
	char			 id[32];
	size_t			 i;

	add_lazy_page(ep, "contents", b->index.xhtml, contents_page,
	    &b->index, b->index.len);
	for (i = 0; i < b->nchapters; i++) {
		const struct doc *d = &b->chapters[i];

		if (d->part != NO_PART && b->parts[d->part].first == i)
			add_part_page(ep, d->part);
		snprintf(id, sizeof(id), "chapter-%03zu", i + 1);
		add_lazy_page(ep, id, d->xhtml, chapter_page, d, d->len);
	}
}

static void
add_guide(struct ep *ep, const char *first)
{
	xmlNodePtr	 guide, r;

	guide = child(xmlDocGetRootElement(ep->opf), NULL, "guide", NULL);
	if (ep->has_cover) {
		r = child(guide, NULL, "reference", NULL);
		prop(r, "type", "cover");
		prop(r, "title", "Cover");
		prop(r, "href", "cover.xhtml");
	}
	r = child(guide, NULL, "reference", NULL);
	prop(r, "type", "toc");
	prop(r, "title", "Contents");
	prop(r, "href", "nav.xhtml");
	r = child(guide, NULL, "reference", NULL);
	prop(r, "type", "text");
	prop(r, "title", "Start of Content");
	prop(r, "href", first);
	if (has_index(ep)) {
		r = child(guide, NULL, "reference", NULL);
		prop(r, "type", "index");
		prop(r, "title", "Index");
		prop(r, "href", "index.xhtml");
	}
}

/*
 * Every compressed member of the archive is built (if it is a page) and
 * deflated by a job of the pool, so the work spreads over all the
 * processors; libzip then only copies the compressed bytes into place.
 * Each member is deflated apart, in an archive of its own, so the bytes
 * are the same whatever the number of threads.
 */
#define DEFLATE_LEVEL	5

struct packed {
	char		*buf;		/* the member's bytes as stored */
	size_t		 clen;		/* their length */
	size_t		 size;		/* uncompressed */
	zip_uint32_t	 crc;
	zip_uint16_t	 method;	/* ZIP_CM_DEFLATE, or STORE if smaller */
	int		 failed;
};

struct packjob {
	struct ep	*ep;
	size_t		*entry;		/* job k packs ep->e[entry[k]] */
	struct packed	*pk;
};

/*
 * A new, empty archive in memory; *mem holds its bytes after zip_close().
 */
static zip_t *
mem_archive(zip_source_t **mem, zip_error_t *err)
{
	zip_t	*za;

	if ((*mem = zip_source_buffer_create(NULL, 0, 0, err)) == NULL)
		return NULL;
	if ((za = zip_open_from_source(*mem, ZIP_TRUNCATE, err)) == NULL) {
		zip_source_free(*mem);
		return NULL;
	}
	zip_source_keep(*mem);
	return za;
}

/*
 * Deflate len bytes into pk with libzip alone: a one-member archive in
 * memory, whose member is then read back raw.  Returns 0 or -1.
 */
static int
deflate_mem(const char *data, size_t len, struct packed *pk)
{
	zip_error_t	 err;
	zip_source_t	*mem, *src;
	zip_t		*za;
	zip_file_t	*f;
	zip_stat_t	 st;
	int		 rc = -1;

	zip_error_init(&err);
	if ((za = mem_archive(&mem, &err)) == NULL)
		goto out;
	if ((src = zip_source_buffer(za, data, len, 0)) == NULL ||
	    zip_file_add(za, "m", src, 0) != 0) {
		zip_source_free(src);
		zip_discard(za);
		zip_source_free(mem);
		goto out;
	}
	if (zip_set_file_compression(za, 0, ZIP_CM_DEFLATE,
	    DEFLATE_LEVEL) == -1 || zip_close(za) == -1) {
		zip_discard(za);
		zip_source_free(mem);
		goto out;
	}
	if ((za = zip_open_from_source(mem, ZIP_RDONLY, &err)) == NULL) {
		zip_source_free(mem);
		goto out;
	}
	if (zip_stat_index(za, 0, 0, &st) == 0 &&
	    (st.valid & (ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
	    ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC)) == (ZIP_STAT_SIZE |
	    ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD | ZIP_STAT_CRC) &&
	    st.size == len &&
	    (f = zip_fopen_index(za, 0, ZIP_FL_COMPRESSED)) != NULL) {
		pk->buf = xmalloc((size_t)st.comp_size);
		if (zip_fread(f, pk->buf, st.comp_size) ==
		    (zip_int64_t)st.comp_size) {
			pk->clen = (size_t)st.comp_size;
			pk->size = len;
			pk->crc = st.crc;
			pk->method = st.comp_method;
			rc = 0;
		}
		zip_fclose(f);
	}
	zip_discard(za);
out:
	zip_error_fini(&err);
	return rc;
}

/* Job k: build member entry[k] if it is a page, and deflate it. */
static void
pack_job(void *arg, size_t k)
{
	struct packjob	*pj = arg;
	struct entry	*e = &pj->ep->e[pj->entry[k]];
	char		*data;
	size_t		 len;

	xhtml_quiet();
	if (e->gen != NULL)
		data = serialize(e->gen(pj->ep, e->arg), 0, &len);
	else {
		data = e->data;
		len = e->len;
		e->data = NULL;
	}
	if (deflate_mem(data, len, &pj->pk[k]) == -1) {
		free(pj->pk[k].buf);
		pj->pk[k].buf = NULL;
		pj->pk[k].failed = 1;
	}
	free(data);
}

/* A libzip source of bytes deflated already: copied, not compressed. */
struct rawsrc {
	const struct packed	*pk;
	size_t			 off;
	zip_error_t		 err;
};

static zip_int64_t
raw_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct rawsrc	*z = ud;
	zip_stat_t	*st;
	size_t		 n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		z->off = 0;
		return 0;
	case ZIP_SOURCE_READ:
		n = z->pk->clen - z->off < len ? z->pk->clen - z->off :
		    (size_t)len;
		memcpy(data, z->pk->buf + z->off, n);
		z->off += n;
		return (zip_int64_t)n;
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT:
		st = data;
		zip_stat_init(st);
		st->size = z->pk->size;
		st->comp_size = z->pk->clen;
		st->crc = z->pk->crc;
		st->comp_method = z->pk->method;
		st->encryption_method = ZIP_EM_NONE;
		st->valid |= ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_CRC |
		    ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD;
		return sizeof(*st);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&z->err, data, len);
	case ZIP_SOURCE_FREE:
		zip_error_fini(&z->err);
		free(z);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN,
		    ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
		    ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		zip_error_set(&z->err, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static zip_source_t *
raw_source(zip_t *za, const struct packed *pk)
{
	struct rawsrc	*z;
	zip_source_t	*src;

	z = xcalloc(1, sizeof(*z));
	z->pk = pk;
	zip_error_init(&z->err);
	if ((src = zip_source_function(za, raw_cb, z)) == NULL) {
		zip_error_fini(&z->err);
		free(z);
	}
	return src;
}

/*
 * Pack every member that is to be compressed, on the pool.  *pkp gets
 * one packed member per entry (empty for those stored as they are).
 * Returns 0, or -1 after a diagnostic.
 */
static int
pack_entries(struct ep *ep, struct packed **pkp)
{
	struct packjob	 pj;
	struct packed	*pk;
	size_t		*order, *weight, n = 0, i, k;
	int		 rc = 0;

	pj.ep = ep;
	pj.entry = xcalloc(ep->n, sizeof(*pj.entry));
	for (i = 0; i < ep->n; i++)
		if (!ep->e[i].store)
			pj.entry[n++] = i;
	pj.pk = xcalloc(n, sizeof(*pj.pk));
	weight = xcalloc(n, sizeof(*weight));
	for (k = 0; k < n; k++)
		weight[k] = ep->e[pj.entry[k]].weight;
	order = pool_order(weight, n);
	pool_run(n, order, pack_job, &pj);
	pk = xcalloc(ep->n, sizeof(*pk));
	for (k = 0; k < n; k++) {
		if (pj.pk[k].failed) {
			diag_error(NULL, 0, 0, "cannot compress %s",
			    ep->e[pj.entry[k]].name);
			rc = -1;
		}
		pk[pj.entry[k]] = pj.pk[k];
	}
	free(order);
	free(weight);
	free(pj.pk);
	free(pj.entry);
	*pkp = pk;
	return rc;
}

/* DOS date and time of the epoch, in UTC (never the local zone). */
static void
dos_time(time_t t, zip_uint16_t *dtime, zip_uint16_t *ddate)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	if (tm.tm_year < 80) {
		tm.tm_year = 80;
		tm.tm_mon = 0;
		tm.tm_mday = 1;
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	} else if (tm.tm_year > 207) {
		tm.tm_year = 207;
		tm.tm_mon = 11;
		tm.tm_mday = 31;
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 58;
	}
	*dtime = (zip_uint16_t)((tm.tm_hour << 11) | (tm.tm_min << 5) |
	    (tm.tm_sec / 2));
	*ddate = (zip_uint16_t)(((tm.tm_year - 80) << 9) |
	    ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

static void
packed_free(struct packed *pk, size_t n)
{
	size_t	 i;

	for (i = 0; pk != NULL && i < n; i++)
		free(pk[i].buf);
	free(pk);
}

static int
zip_entries(struct ep *ep, char **out, size_t *outlen)
{
	zip_error_t	 err;
	zip_source_t	*src, *fs;
	zip_t		*za;
	zip_stat_t	 st;
	zip_int64_t	 idx;
	zip_uint16_t	 dtime, ddate;
	struct packed	*pk = NULL;
	size_t		 i;
	char		*data = NULL;
	int		 rc = -1;

	if (pack_entries(ep, &pk) == -1) {
		packed_free(pk, ep->n);
		return rc;
	}
	zip_error_init(&err);
	if ((za = mem_archive(&src, &err)) == NULL)
		goto fail;
	dos_time(ep->b->epoch, &dtime, &ddate);
	for (i = 0; i < ep->n; i++) {
		if (ep->e[i].store)
			fs = zip_source_buffer(za, ep->e[i].data,
			    ep->e[i].len, 0);
		else
			fs = raw_source(za, &pk[i]);
		if (fs == NULL)
			goto zfail;
		/* GUESS: the UTF-8 flag only on non-ASCII names, as every
		 * libzip writes it (1.11 flags ASCII names given ENC_UTF_8). */
		idx = zip_file_add(za, ep->e[i].name, fs, ZIP_FL_ENC_GUESS);
		if (idx < 0) {
			zip_source_free(fs);
			goto zfail;
		}
		if (zip_set_file_compression(za, (zip_uint64_t)idx,
		    ep->e[i].store ? ZIP_CM_STORE : pk[i].method, 0) ||
		    zip_file_set_dostime(za, (zip_uint64_t)idx, dtime, ddate,
		    0) == -1)
			goto zfail;
	}
	if (zip_close(za) == -1)
		goto zfail;
	packed_free(pk, ep->n);
	pk = NULL;
	if (zip_source_stat(src, &st) == -1 || zip_source_open(src) == -1)
		goto sfail;
	data = xmalloc(st.size ? st.size : 1);
	if (zip_source_read(src, data, st.size) != (zip_int64_t)st.size) {
		zip_source_close(src);
		goto sfail;
	}
	zip_source_close(src);
	zip_source_free(src);
	*out = data;
	*outlen = st.size;
	return 0;
zfail:
	diag_error(NULL, 0, 0, "cannot build the archive: %s",
	    zip_strerror(za));
	zip_discard(za);
	packed_free(pk, ep->n);
	zip_source_free(src);
	return rc;
sfail:
	diag_error(NULL, 0, 0, "cannot read the archive back: %s",
	    zip_error_strerror(zip_source_error(src)));
	free(data);
	zip_source_free(src);
	return rc;
fail:
	diag_error(NULL, 0, 0, "cannot create the archive: %s",
	    zip_error_strerror(&err));
	zip_error_fini(&err);
	packed_free(pk, ep->n);
	return rc;
}

int
epub_build(const struct book *b, const struct epub_opts *o, char **data,
    size_t *len)
{
	struct ep	 ep;
	const char	*first;
	size_t		 i;
	int		 rc = -1;

	memset(&ep, 0, sizeof(ep));
	ep.b = b;
	ep.o = o;
	if (has_index(&ep))
		index_groups(&ep);
	add_entry(&ep, "mimetype", xstrdup("application/epub+zip"), 20, 1);
	add_container(&ep);
	opf_start(&ep);
	if (add_css(&ep) == -1)
		goto out;
	if (b->cover != NULL && add_cover(&ep) == -1)
		goto out;
	opf_a11y(&ep);
	add_title_page(&ep);
	first = b->nchapters ? b->chapters[0].xhtml : b->index.xhtml;
	if (b->nchapters && b->chapters[0].part != NO_PART)
		first = b->parts[b->chapters[0].part].xhtml;
	add_nav(&ep, first);
	add_chapters(&ep);
	if (has_index(&ep)) {
		/* Weights: about the bytes of Markdown of the same work. */
		add_lazy_page(&ep, "index", "index.xhtml", index_page, NULL,
		    ep.ngroups * 64);
		for (i = 0; i < ep.ngroups; i++)
			add_lazy_page(&ep, ep.groups[i].id, ep.groups[i].href,
			    index_letter_page, &ep.groups[i],
			    ep.groups[i].count * 256);
	}
	add_ncx(&ep);
	add_guide(&ep, first);
	add_xml(&ep, "EPUB/package.opf", ep.opf, 1);
	ep.opf = NULL;
	rc = zip_entries(&ep, data, len);
out:
	if (ep.opf != NULL)
		xmlFreeDoc(ep.opf);
	for (i = 0; i < ep.n; i++) {
		free(ep.e[i].name);
		free(ep.e[i].data);
	}
	free(ep.e);
	free(ep.groups);
	return rc;
}
