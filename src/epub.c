/*
 * EPUB 3 writer.  The package document, the navigation and every page
 * are libxml2 trees (the SVG figures come from diagram.c, a WebP's
 * fallback from a fixed template with its one text escaped).  The
 * archive is built in memory by archive.c (mimetype first and stored,
 * timestamps from the book's epoch in UTC) so that callers decide
 * where the bytes go.  Generated pages: cover, title page, nav (the
 * contents page, in the spine) and one page per part.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "archive.h"
#include "bookindex.h"
#include "diagram.h"
#include "epub.h"
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
 * size.  Code lines hang and mark their continuations as in
 * styles/pyinternals.css, whose comment says how.
 */
static const char default_css[] =
"body { margin: 0 0.5em; line-height: 1.4; word-wrap: break-word; "
"overflow-wrap: break-word; }\n"
"h1, h2, h3, h4 { line-height: 1.2; page-break-after: avoid; }\n"
"pre { white-space: pre-wrap; word-wrap: break-word; "
"overflow-wrap: anywhere; font-size: 0.85em; margin: 0.8em 0 0.8em 1em; }\n"
"pre.output { border-left: 0.2em solid; padding-left: 0.6em; }\n"
"pre .line { display: block; position: relative; padding-left: 1.2em; "
"text-indent: -1.2em; }\n"
"pre .i2 { padding-left: 2.4em; text-indent: -2.4em; }\n"
"pre .i4 { padding-left: 3.6em; text-indent: -3.6em; }\n"
"pre .i6 { padding-left: 4.8em; text-indent: -4.8em; }\n"
"pre .i8 { padding-left: 6em; text-indent: -6em; }\n"
"pre .i10 { padding-left: 7.2em; text-indent: -7.2em; }\n"
"pre .i12 { padding-left: 8.4em; text-indent: -8.4em; }\n"
"pre .i14 { padding-left: 9.6em; text-indent: -9.6em; }\n"
"pre .i16 { padding-left: 10.8em; text-indent: -10.8em; }\n"
"pre .line:after { content: none; content: \"\" / \"\"; position: absolute; "
"top: 1.45em; bottom: 0.25em; left: 0.45em; border-left: 0.12em solid; }\n"
"pre .i2:after { left: 1.65em; }\n"
"pre .i4:after { left: 2.85em; }\n"
"pre .i6:after { left: 4.05em; }\n"
"pre .i8:after { left: 5.25em; }\n"
"pre .i10:after { left: 6.45em; }\n"
"pre .i12:after { left: 7.65em; }\n"
"pre .i14:after { left: 8.85em; }\n"
"pre .i16:after { left: 10.05em; }\n"
"pre .lead { white-space: pre; }\n"
"code, pre { font-family: monospace, monospace; }\n"
"blockquote { margin: 0.8em 1.5em; }\n"
"table { border-collapse: collapse; max-width: 100%; }\n"
"th, td { border: 0.06em solid; padding: 0.2em 0.4em; "
"vertical-align: top; overflow-wrap: anywhere; }\n"
"img { max-width: 100%; height: auto; }\n"
"figure { margin: 1em 0; text-align: center; }\n"
"figcaption { font-style: italic; }\n"
"aside.footnote { font-size: 0.9em; border-top: 0.05em solid; }\n"
"nav ol { list-style-type: none; }\n";

struct epub_writer;

/* Builds a page when the archive asks for its bytes (caller frees). */
typedef xmlDocPtr (*page_fn)(const struct epub_writer *, const void *arg);

/*
 * A member made on demand, on the pool (the arg of its archive member):
 * a page gen builds, or a figure drawn from its text.
 */
struct lazy_page {
	page_fn		 gen;		/* a page, or NULL: a figure */
	const void	*arg;
	const char	*drawing;	/* a figure's text (the book's) */
	const char	*caption;	/* and caption (the book's), or NULL */
};

/* One page of the index: the terms filed under a letter. */
struct bookindex_group {
	int		 letter;
	size_t		 first, count;	/* in book_index.terms */
	char		 label[16];	/* "A", or "Symbols" */
	char		 href[32];
	char		 id[16];
};

struct epub_writer {
	const struct book	*b;
	struct bookindex_group		*groups;
	size_t			 ngroups;
	const struct epub_opts	*o;
	struct archive_member	*e;		/* the archive, in order */
	size_t			 n;
	struct lazy_page	**lazy;		/* args of e[] made on demand */
	size_t			 nlazy;
	xmlDocPtr		 opf;
	xmlNodePtr		 meta, manifest, spine;
	xmlNsPtr		 dc;
	char			 uuid[48];
	size_t			 play;		/* NCX playOrder */
	size_t			 figures;	/* diagrams made into SVG */
	int			 has_cover;
};

static int
has_index(const struct epub_writer *ep)
{
	return ep->b->bookindex != NULL && ep->b->bookindex->n > 0;
}

static void
add_entry(struct epub_writer *ep, const char *name, char *data, size_t len,
    int store)
{
	ep->e = xreallocarray(ep->e, ep->n + 1, sizeof(*ep->e));
	ep->e[ep->n].name = xstrdup(name);
	ep->e[ep->n].data = data;
	ep->e[ep->n].len = len;
	ep->e[ep->n].store = store;
	ep->e[ep->n].weight = len;
	ep->e[ep->n].arg = NULL;
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
add_xml(struct epub_writer *ep, const char *name, xmlDocPtr doc, int format)
{
	char	*data;
	size_t	 len;

	data = serialize(doc, format, &len);
	add_entry(ep, name, data, len, 0);
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
manifest_item(struct epub_writer *ep, const char *id, const char *href,
    const char *type, const char *props)
{
	xmlNodePtr	 it;

	it = xhtml_elem_ns(ep->manifest, NULL, "item", NULL);
	prop(it, "id", id);
	prop(it, "href", href);
	prop(it, "media-type", type);
	if (props != NULL)
		prop(it, "properties", props);
}

static void
spine_item(struct epub_writer *ep, const char *idref)
{
	xmlNodePtr	 it;

	it = xhtml_elem_ns(ep->spine, NULL, "itemref", NULL);
	prop(it, "idref", idref);
}

/* An XHTML page of the book: manifest, spine, archive. */
static void
add_page(struct epub_writer *ep, const char *id, const char *href, xmlDocPtr doc,
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
/* A member EPUB/href made on demand; the caller fills in what. */
static struct lazy_page *
add_lazy(struct epub_writer *ep, const char *href, size_t weight)
{
	struct lazy_page	*p;
	char			*name;

	p = xcalloc(1, sizeof(*p));
	ep->lazy = xreallocarray(ep->lazy, ep->nlazy + 1, sizeof(*ep->lazy));
	ep->lazy[ep->nlazy++] = p;
	name = xasprintf("EPUB/%s", href);
	add_entry(ep, name, NULL, 0, 0);
	ep->e[ep->n - 1].arg = p;
	ep->e[ep->n - 1].weight = weight;
	free(name);
	return p;
}

static void
add_lazy_page(struct epub_writer *ep, const char *id, const char *href, page_fn gen,
    const void *arg, size_t weight)
{
	struct lazy_page	*p;

	manifest_item(ep, id, href, "application/xhtml+xml", NULL);
	spine_item(ep, id);
	p = add_lazy(ep, href, weight);
	p->gen = gen;
	p->arg = arg;
}

static void
meta_property(struct epub_writer *ep, const char *property, const char *value,
    const char *refines)
{
	xmlNodePtr	 m;

	m = xhtml_elem_ns(ep->meta, NULL, "meta", value);
	prop(m, "property", property);
	if (refines != NULL)
		prop(m, "refines", refines);
}

static void
opf_start(struct epub_writer *ep)
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

	ep->meta = xhtml_elem_ns(root, NULL, "metadata", NULL);
	ep->dc = xmlNewNs(ep->meta, BAD_CAST DC_NS, BAD_CAST "dc");

	name = xstrdup(b->identifier ? b->identifier : b->title);
	uuid_v5(name, ep->uuid + 9);
	memcpy(ep->uuid, "urn:uuid:", 9);
	free(name);
	el = xhtml_elem_ns(ep->meta, ep->dc, "identifier", ep->uuid);
	prop(el, "id", "book-id");
	el = xhtml_elem_ns(ep->meta, ep->dc, "title", b->title);
	prop(el, "id", "title");
	meta_property(ep, "title-type", "main", "#title");
	if (b->subtitle != NULL) {
		el = xhtml_elem_ns(ep->meta, ep->dc, "title", b->subtitle);
		prop(el, "id", "subtitle");
		meta_property(ep, "title-type", "subtitle", "#subtitle");
	}
	xhtml_elem_ns(ep->meta, ep->dc, "language", b->language);
	for (i = 0; i < b->nauthors; i++) {
		snprintf(id, sizeof(id), "creator-%zu", i + 1);
		el = xhtml_elem_ns(ep->meta, ep->dc, "creator", b->authors[i]);
		prop(el, "id", id);
		snprintf(id, sizeof(id), "#creator-%zu", i + 1);
		el = xhtml_elem_ns(ep->meta, NULL, "meta", "aut");
		prop(el, "refines", id);
		prop(el, "property", "role");
		prop(el, "scheme", "marc:relators");
	}
	xhtml_elem_ns(ep->meta, ep->dc, "date", b->date);
	if (b->version != NULL) {
		name = xasprintf("Version %s", b->version);
		xhtml_elem_ns(ep->meta, ep->dc, "description", name);
		free(name);
	}
	gmtime_r(&b->epoch, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	meta_property(ep, "dcterms:modified", when, NULL);

	ep->manifest = xhtml_elem_ns(root, NULL, "manifest", NULL);
	ep->spine = xhtml_elem_ns(root, NULL, "spine", NULL);
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
opf_a11y(struct epub_writer *ep)
{
	xmlNodePtr	 m;
	int		 visual;

	visual = ep->has_cover || ep->b->nimages > 0 || ep->figures > 0;
	meta_property(ep, "schema:accessMode", "textual", NULL);
	if (visual)
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
	if (visual)
		meta_property(ep, "schema:accessibilityFeature",
		    "alternativeText", NULL);
	if (has_index(ep))
		meta_property(ep, "schema:accessibilityFeature", "index",
		    NULL);
	meta_property(ep, "schema:accessibilityHazard", "none", NULL);
	/* Images without a description are warned about while loading. */
	meta_property(ep, "schema:accessibilitySummary",
	    ep->figures > 0 ?
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. Every image has a text "
	    "alternative; the figures are drawings whose text alternative "
	    "holds their caption and every word they show, and man pages "
	    "carry the same drawings as text." : ep->b->nimages > 0 ?
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. Every image has a text "
	    "alternative." : ep->has_cover ?
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. The cover image has a text "
	    "alternative; there are no other images." :
	    "Text with headings, a table of contents and a logical reading "
	    "order. Code examples are text. There are no images.", NULL);
	if (ep->b->nauthors > 0) {
		m = xhtml_elem_ns(ep->meta, NULL, "meta", A11Y_CONFORMS_TO);
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
add_cover(struct epub_writer *ep)
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
	m = xhtml_elem_ns(ep->meta, NULL, "meta", NULL);
	prop(m, "name", "cover");
	prop(m, "content", "cover-image");
	{
		char *full = xasprintf("EPUB/%s", name);
		add_entry(ep, full, data, len, 1);
		free(full);
	}
	doc = xhtml_skeleton(b, b->title, CSS_NAME, XHTML_EPUB, &body);
	sec = xhtml_elem_ns(body, NULL, "section", NULL);
	epub_type(sec, "cover");
	prop(sec, "class", "cover");
	img = xhtml_elem_ns(sec, NULL, "img", NULL);
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
add_title_page(struct epub_writer *ep)
{
	const struct book	*b = ep->b;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, el;
	size_t			 i;
	char			*s;

	doc = xhtml_skeleton(b, b->title, CSS_NAME, XHTML_EPUB, &body);
	sec = xhtml_elem_ns(body, NULL, "section", NULL);
	epub_type(sec, "titlepage");
	prop(sec, "class", "titlepage");
	xhtml_nl(sec);
	el = xhtml_elem_ns(sec, NULL, "h1", b->title);
	prop(el, "class", "title");
	xhtml_nl(sec);
	if (b->subtitle != NULL) {
		el = xhtml_elem_ns(sec, NULL, "p", b->subtitle);
		prop(el, "class", "subtitle");
		xhtml_nl(sec);
	}
	for (i = 0; i < b->nauthors; i++) {
		el = xhtml_elem_ns(sec, NULL, "p", b->authors[i]);
		prop(el, "class", "author");
		xhtml_nl(sec);
	}
	s = b->version ? xasprintf("Version %s, %s", b->version, b->date) :
	    xstrdup(b->date);
	el = xhtml_elem_ns(sec, NULL, "p", s);
	prop(el, "class", "edition");
	free(s);
	xhtml_nl(sec);
	xhtml_nl(body);
	add_page(ep, "title-page", "title.xhtml", doc, NULL, 1);
}

/* The deepest nesting of a chapter in the index. */
static size_t
max_depth(const struct book *b)
{
	size_t	 i, m = 0;

	for (i = 0; i < b->nchapters; i++)
		if (b->chapters[i].depth > m)
			m = b->chapters[i].depth;
	return m;
}

static void
add_part_page(struct epub_writer *ep, size_t p)
{
	const struct book	*b = ep->b;
	const struct part	*part = &b->parts[p];
	const struct doc	*d;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, ul, li = NULL, a, *lists;
	char			 id[32];
	size_t			 i;

	doc = xhtml_skeleton(b, part->title, CSS_NAME, XHTML_EPUB, &body);
	sec = xhtml_elem_ns(body, NULL, "section", NULL);
	epub_type(sec, "part");
	prop(sec, "role", "doc-part");
	prop(sec, "class", "part");
	prop(sec, "aria-labelledby", "part-title");
	xhtml_nl(sec);
	a = xhtml_elem_ns(sec, NULL, "h1", part->title);
	prop(a, "id", "part-title");
	xhtml_nl(sec);
	ul = xhtml_elem_ns(sec, NULL, "ul", NULL);
	prop(ul, "class", "part-contents");
	xhtml_nl(ul);
	lists = xcalloc(max_depth(b) + 1, sizeof(*lists));
	lists[0] = ul;
	for (i = part->first; i < part->first + part->count; i++) {
		d = &b->chapters[i];
		/* A nested chapter: a list in the last item one level up. */
		if (d->depth > 0 && (i == part->first ||
		    b->chapters[i - 1].depth < d->depth)) {
			lists[d->depth] = xhtml_elem_ns(li, NULL, "ul", NULL);
			xhtml_nl(lists[d->depth]);
		}
		ul = lists[d->depth];
		li = xhtml_elem_ns(ul, NULL, "li", NULL);
		a = xhtml_elem_ns(li, NULL, "a", d->title);
		prop(a, "href", d->xhtml);
		if (d->description != NULL && strcmp(d->description,
		    d->title) != 0) {
			xmlAddChild(li, xmlNewText(BAD_CAST ": "));
			xmlAddChild(li, xmlNewText(BAD_CAST d->description));
		}
		xhtml_nl(ul);
	}
	free(lists);
	xhtml_nl(sec);
	xhtml_nl(body);
	snprintf(id, sizeof(id), "part-%02zu", p + 1);
	add_page(ep, id, part->xhtml, doc, NULL, 1);
}

/* One index entry's places, grouped by chapter, in book order. */
static void
index_refs(xmlNodePtr li, const struct bookindex_term *t)
{
	const struct doc	*d;
	xmlNodePtr		 a;
	size_t			 i, j;
	char			*href;
	int			 open;

	for (i = 0; i < t->nrefs; i = j) {
		d = t->refs[i].doc;
		xmlAddChild(li, xmlNewText(BAD_CAST (i ? "; " : ": ")));
		a = xhtml_elem_ns(li, NULL, "a", d->title);
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
			a = xhtml_elem_ns(li, NULL, "a", t->refs[j].heading->text);
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
bookindex_groups(struct epub_writer *ep)
{
	const struct bookindex	*ix = ep->b->bookindex;
	struct bookindex_group		*g;
	size_t			 i;
	int			 l;

	for (i = 0; i < ix->n; i++) {
		l = bookindex_letter(&ix->terms[i]);
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

/* The <section> an index page puts its terms in, labelled by title_id. */
static xmlNodePtr
bookindex_open(xmlNodePtr body, const char *title_id)
{
	xmlNodePtr	 sec;

	sec = xhtml_elem_ns(body, NULL, "section", NULL);
	epub_type(sec, "index");
	prop(sec, "role", "doc-index");
	prop(sec, "class", "index");
	prop(sec, "aria-labelledby", title_id);
	xhtml_nl(sec);
	return sec;
}

static xmlDocPtr
bookindex_page(const struct epub_writer *ep, const void *arg)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 body, sec, el, ul, li;
	size_t		 k;

	doc = xhtml_skeleton(ep->b, "Index", CSS_NAME, XHTML_EPUB, &body);
	sec = bookindex_open(body, "index-title");
	el = xhtml_elem_ns(sec, NULL, "h1", "Index");
	prop(el, "id", "index-title");
	xhtml_nl(sec);
	ul = xhtml_elem_ns(sec, NULL, "ul", NULL);
	prop(ul, "class", "index-letters");
	xhtml_nl(ul);
	for (k = 0; k < ep->ngroups; k++) {
		li = xhtml_elem_ns(ul, NULL, "li", NULL);
		el = xhtml_elem_ns(li, NULL, "a", ep->groups[k].label);
		prop(el, "href", ep->groups[k].href);
		xhtml_nl(ul);
	}
	xhtml_nl(sec);
	xhtml_nl(body);
	(void)arg;
	return doc;
}

static xmlDocPtr
bookindex_letter_page(const struct epub_writer *ep, const void *arg)
{
	const struct bookindex_group	*g = arg;
	const struct bookindex	*ix = ep->b->bookindex;
	xmlDocPtr		 doc;
	xmlNodePtr		 body, sec, el, ul, li;
	size_t			 i;
	char			*title;

	title = xasprintf("Index: %s", g->label);
	doc = xhtml_skeleton(ep->b, title, CSS_NAME, XHTML_EPUB, &body);
	sec = bookindex_open(body, g->id);
	el = xhtml_elem_ns(sec, NULL, "h1", title);
	prop(el, "id", g->id);
	free(title);
	xhtml_nl(sec);
	ul = xhtml_elem_ns(sec, NULL, "ul", NULL);
	xhtml_nl(ul);
	for (i = g->first; i < g->first + g->count; i++) {
		const struct bookindex_term *t = &ix->terms[i];

		li = xhtml_elem_ns(ul, NULL, "li", NULL);
		if (t->code)
			xhtml_elem_ns(li, NULL, "code", t->text);
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
 * toc.ncx (nested navPoint); the ncx flag says which, and nav_add adds
 * an entry of either kind.
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
		li = xhtml_elem_ns(parent ? parent : t->root, NULL, "navPoint", NULL);
		++*t->play;
		snprintf(buf, sizeof(buf), "nav-%zu", *t->play);
		prop(li, "id", buf);
		snprintf(buf, sizeof(buf), "%zu", *t->play);
		prop(li, "playOrder", buf);
		el = xhtml_elem_ns(li, NULL, "navLabel", NULL);
		xhtml_elem_ns(el, NULL, "text", label);
		el = xhtml_elem_ns(li, NULL, "content", NULL);
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
			list = xhtml_elem_ns(parent, NULL, "ol", NULL);
			xhtml_nl(list);
		}
	}
	li = xhtml_elem_ns(list, NULL, "li", NULL);
	el = xhtml_elem_ns(li, NULL, "a", label);
	prop(el, "href", href);
	xhtml_nl(list);
	return li;
}

/*
 * A chapter and its sections, down to opts->toc_depth levels.  Returns
 * its entry, under which chapters nested in it follow its sections.
 */
static xmlNodePtr
nav_chapter(struct epub_writer *ep, struct navtree *t, xmlNodePtr parent,
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
	return stack[0].node;
}

/*
 * Parts, then chapters nested as the index nests them: a chapter goes
 * under the last chapter one level up (or its part).
 */
static void
nav_book(struct epub_writer *ep, struct navtree *t)
{
	const struct book	*b = ep->b;
	const struct doc	*d;
	xmlNodePtr		 part = NULL, li, *up;
	size_t			 i, k, p = NO_PART, depth;

	up = xcalloc(max_depth(b) + 2, sizeof(*up));
	nav_add(t, NULL, b->summary.title, b->summary.xhtml);
	for (i = 0; i < b->nchapters; i++) {
		d = &b->chapters[i];
		if (d->part != p) {
			p = d->part;
			part = p == NO_PART ? NULL : nav_add(t, NULL,
			    b->parts[p].title, b->parts[p].xhtml);
		}
		depth = d->depth;
		up[depth + 1] = nav_chapter(ep, t, depth ? up[depth] : part,
		    d);
	}
	if (has_index(ep)) {
		li = nav_add(t, NULL, "Index", "index.xhtml");
		for (k = 0; k < ep->ngroups; k++)
			nav_add(t, li, ep->groups[k].label,
			    ep->groups[k].href);
	}
	free(up);
}

/*
 * The book's landmarks, for the navigation document (epub:type) and the
 * EPUB 2 guide of the package (type): one list, two spellings.
 */
struct landmark {
	const char	*nav_type;
	const char	*guide_type;
	const char	*title;
	const char	*href;
};

static size_t
landmarks(const struct epub_writer *ep, const char *first, struct landmark *m)
{
	size_t	 n = 0;

	if (ep->has_cover)
		m[n++] = (struct landmark){ "cover", "cover", "Cover",
		    "cover.xhtml" };
	m[n++] = (struct landmark){ "titlepage", NULL, "Title Page",
	    "title.xhtml" };
	m[n++] = (struct landmark){ "toc", "toc", "Contents", "nav.xhtml" };
	m[n++] = (struct landmark){ "bodymatter", "text", "Start of Content",
	    first };
	if (has_index(ep))
		m[n++] = (struct landmark){ "index", "index", "Index",
		    "index.xhtml" };
	return n;
}

static void
add_nav(struct epub_writer *ep, const char *first_chapter)
{
	const struct book	*b = ep->b;
	struct navtree		 t;
	struct landmark		 marks[8];
	xmlDocPtr		 doc;
	xmlNodePtr		 body, nav, ol, li, a;
	size_t			 play = 0, i;

	doc = xhtml_skeleton(b, "Contents", CSS_NAME, XHTML_EPUB, &body);
	nav = xhtml_elem_ns(body, NULL, "nav", NULL);
	epub_type(nav, "toc");
	prop(nav, "id", "toc");
	prop(nav, "role", "doc-toc");
	prop(nav, "aria-labelledby", "toc-title");
	a = xhtml_elem_ns(nav, NULL, "h1", "Contents");
	prop(a, "id", "toc-title");
	memset(&t, 0, sizeof(t));
	t.root = xhtml_elem_ns(nav, NULL, "ol", NULL);
	xhtml_nl(t.root);
	t.play = &play;
	nav_book(ep, &t);
	xhtml_nl(body);

	nav = xhtml_elem_ns(body, NULL, "nav", NULL);
	epub_type(nav, "landmarks");
	prop(nav, "hidden", "hidden");
	prop(nav, "aria-label", "Landmarks");
	ol = xhtml_elem_ns(nav, NULL, "ol", NULL);
	for (i = 0; i < landmarks(ep, first_chapter, marks); i++) {
		li = xhtml_elem_ns(ol, NULL, "li", NULL);
		a = xhtml_elem_ns(li, NULL, "a", marks[i].title);
		epub_type(a, marks[i].nav_type);
		prop(a, "href", marks[i].href);
	}
	xhtml_nl(body);
	add_page(ep, "nav", "nav.xhtml", doc, "nav", 1);
}

static void
add_ncx(struct epub_writer *ep)
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
	head = xhtml_elem_ns(root, NULL, "head", NULL);
	el = xhtml_elem_ns(root, NULL, "docTitle", NULL);
	xhtml_elem_ns(el, NULL, "text", b->title);
	memset(&t, 0, sizeof(t));
	t.ncx = 1;
	t.root = xhtml_elem_ns(root, NULL, "navMap", NULL);
	t.play = &play;
	nav_book(ep, &t);

	m = xhtml_elem_ns(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:uid");
	prop(m, "content", ep->uuid);
	m = xhtml_elem_ns(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:depth");
	snprintf(depth, sizeof(depth), "%zu", (ep->b->nparts ? 2 : 1) +
	    max_depth(ep->b) + (size_t)ep->o->toc_depth);
	prop(m, "content", depth);
	m = xhtml_elem_ns(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:totalPageCount");
	prop(m, "content", "0");
	m = xhtml_elem_ns(head, NULL, "meta", NULL);
	prop(m, "name", "dtb:maxPageNumber");
	prop(m, "content", "0");
	manifest_item(ep, "ncx", "toc.ncx", "application/x-dtbncx+xml", NULL);
	add_xml(ep, "EPUB/toc.ncx", doc, 1);
}

static void
add_container(struct epub_writer *ep)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root, files, f;

	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewDocNode(doc, NULL, BAD_CAST "container", NULL);
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, BAD_CAST OCF_NS, NULL));
	prop(root, "version", "1.0");
	files = xhtml_elem_ns(root, NULL, "rootfiles", NULL);
	f = xhtml_elem_ns(files, NULL, "rootfile", NULL);
	prop(f, "full-path", "EPUB/package.opf");
	prop(f, "media-type", "application/oebps-package+xml");
	add_xml(ep, "META-INF/container.xml", doc, 1);
}

/*
 * WebP is a core image type from EPUB 3.3 on; for EPUB 3.2 readers (and
 * checkers) a manifest fallback of a core type must stand behind it.
 * guidebook decodes no image, so the fallback is an SVG that names it.
 */
static void
webp_fallback(struct epub_writer *ep, const struct image *im)
{
	struct buf	 svg = { NULL, 0, 0 };
	xmlChar		*text;
	const char	*base = strrchr(im->name, '/');
	char		*id, *name, *entry;

	text = xmlEncodeSpecialChars(NULL, BAD_CAST (base ? base + 1 :
	    im->name));
	buf_printf(&svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"240\" height=\"60\" viewBox=\"0 0 240 60\">"
	    "<rect x=\"1\" y=\"1\" width=\"238\" height=\"58\" fill=\"none\" "
	    "stroke=\"#000\"/><text x=\"120\" y=\"35\" font-size=\"14\" "
	    "text-anchor=\"middle\" font-family=\"sans-serif\">WebP image: "
	    "%s</text></svg>\n", text);
	xmlFree(text);
	id = xasprintf("%s-svg", im->id);
	name = xasprintf("%s.svg", im->name);
	entry = xasprintf("EPUB/%s", name);
	/* The WebP's item was the last one added. */
	prop(ep->manifest->last, "fallback", id);
	manifest_item(ep, id, name, "image/svg+xml", NULL);
	add_entry(ep, entry, svg.ptr, svg.len, 0);
	free(id);
	free(name);
	free(entry);
}

/*
 * The figures of one document: each diagram block as an SVG file, its
 * <title> the caption, drawn on the pool from the text the loader kept
 * (no tree needed).  The chapter pages refer to them by
 * xhtml_figure_name.
 */
static void
add_doc_figures(struct epub_writer *ep, const struct doc *d)
{
	const struct codeinfo	*ci;
	struct lazy_page	*p;
	char			*name, *id;
	size_t			 i;

	for (i = 0; i < d->nblocks; i++) {
		ci = &d->blocks[i];
		if (ci->kind != CODE_DIAGRAM)
			continue;
		name = xhtml_figure_name(d, ci);
		id = xasprintf("figure-%zu-%zu", d->number, ci->figure);
		manifest_item(ep, id, name, "image/svg+xml", NULL);
		/* Weight: an SVG takes about 20 times a page's work a byte. */
		p = add_lazy(ep, name, 20 * strlen(ci->drawing));
		p->drawing = ci->drawing;
		p->caption = ci->caption;
		ep->figures++;
		free(name);
		free(id);
	}
}

static void
add_figures(struct epub_writer *ep)
{
	const struct book	*b = ep->b;
	size_t			 i;

	add_doc_figures(ep, &b->summary);
	for (i = 0; i < b->nchapters; i++)
		add_doc_figures(ep, &b->chapters[i]);
}

/* The book's images; compressed formats are stored, SVG deflated. */
static int
add_images(struct epub_writer *ep)
{
	const struct image	*im;
	char			*data, *name;
	size_t			 len, i;

	for (i = 0; i < ep->b->nimages; i++) {
		im = ep->b->images[i];
		if (read_resource(im->path, &data, &len) == -1)
			return -1;
		manifest_item(ep, im->id, im->name, im->type, NULL);
		name = xasprintf("EPUB/%s", im->name);
		add_entry(ep, name, data, len,
		    strcmp(im->type, "image/svg+xml") != 0);
		free(name);
		if (strcmp(im->type, "image/webp") == 0)
			webp_fallback(ep, im);
	}
	return 0;
}

static int
add_css(struct epub_writer *ep)
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
contents_page(const struct epub_writer *ep, const void *arg)
{
	return xhtml_document(ep->b, arg, CSS_NAME, XHTML_EPUB,
	    "introduction", "doc-introduction");
}

static xmlDocPtr
chapter_page(const struct epub_writer *ep, const void *arg)
{
	return xhtml_document(ep->b, arg, CSS_NAME, XHTML_EPUB, "chapter",
	    "doc-chapter");
}

static void
add_chapters(struct epub_writer *ep)
{
	const struct book	*b = ep->b;
	char			 id[32];
	size_t			 i;

	add_lazy_page(ep, "contents", b->summary.xhtml, contents_page,
	    &b->summary, b->summary.len);
	for (i = 0; i < b->nchapters; i++) {
		const struct doc *d = &b->chapters[i];

		if (d->part != NO_PART && b->parts[d->part].first == i)
			add_part_page(ep, d->part);
		snprintf(id, sizeof(id), "chapter-%03zu", i + 1);
		add_lazy_page(ep, id, d->xhtml, chapter_page, d, d->len);
	}
}

static void
add_guide(struct epub_writer *ep, const char *first)
{
	struct landmark	 marks[8];
	xmlNodePtr	 guide, r;
	size_t		 i, n;

	guide = xhtml_elem_ns(xmlDocGetRootElement(ep->opf), NULL, "guide", NULL);
	n = landmarks(ep, first, marks);
	for (i = 0; i < n; i++) {
		if (marks[i].guide_type == NULL)
			continue;	/* EPUB 2 has no title page type */
		r = xhtml_elem_ns(guide, NULL, "reference", NULL);
		prop(r, "type", marks[i].guide_type);
		prop(r, "title", marks[i].title);
		prop(r, "href", marks[i].href);
	}
}

/* Make a member on demand (archive_make_fn): on a thread of the pool. */
static char *
make_member(void *ctx, const void *arg, size_t *len)
{
	const struct lazy_page	*p = arg;
	struct diagram		*dg;
	struct buf		 svg = { NULL, 0, 0 };

	if (p->gen != NULL) {
		xhtml_quiet();
		return serialize(p->gen(ctx, p->arg), 0, len);
	}
	dg = diagram_parse(p->drawing, strlen(p->drawing));
	diagram_svg(dg, p->caption, &svg);
	diagram_free(dg);
	*len = svg.len;
	return svg.ptr != NULL ? buf_take(&svg) : xstrdup("");
}

int
epub_build(const struct book *b, const struct epub_opts *o, char **data,
    size_t *len)
{
	struct epub_writer	 ep;
	const char	*first;
	size_t		 i;
	int		 rc = -1;

	memset(&ep, 0, sizeof(ep));
	ep.b = b;
	ep.o = o;
	if (has_index(&ep))
		bookindex_groups(&ep);
	add_entry(&ep, "mimetype", xstrdup("application/epub+zip"), 20, 1);
	add_container(&ep);
	opf_start(&ep);
	if (add_css(&ep) == -1 || add_images(&ep) == -1)
		goto out;
	add_figures(&ep);
	if (b->cover != NULL && add_cover(&ep) == -1)
		goto out;
	opf_a11y(&ep);
	add_title_page(&ep);
	first = b->nchapters ? b->chapters[0].xhtml : b->summary.xhtml;
	if (b->nchapters && b->chapters[0].part != NO_PART)
		first = b->parts[b->chapters[0].part].xhtml;
	add_nav(&ep, first);
	add_chapters(&ep);
	if (has_index(&ep)) {
		/* Weights: about the bytes of Markdown of the same work. */
		add_lazy_page(&ep, "index", "index.xhtml", bookindex_page, NULL,
		    ep.ngroups * 64);
		for (i = 0; i < ep.ngroups; i++)
			add_lazy_page(&ep, ep.groups[i].id, ep.groups[i].href,
			    bookindex_letter_page, &ep.groups[i],
			    ep.groups[i].count * 256);
	}
	add_ncx(&ep);
	add_guide(&ep, first);
	add_xml(&ep, "EPUB/package.opf", ep.opf, 1);
	ep.opf = NULL;
	rc = archive_build(ep.e, ep.n, b->epoch, make_member, &ep, data, len);
out:
	if (ep.opf != NULL)
		xmlFreeDoc(ep.opf);
	for (i = 0; i < ep.n; i++) {
		free(ep.e[i].name);
		free(ep.e[i].data);
	}
	free(ep.e);
	for (i = 0; i < ep.nlazy; i++)
		free(ep.lazy[i]);
	free(ep.lazy);
	free(ep.groups);
	return rc;
}
