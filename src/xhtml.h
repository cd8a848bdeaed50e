/*
 * XHTML back end: a cmark tree to an XHTML5 document built with the
 * libxml2 tree API, and the serialiser that writes such a tree out.
 * Content becomes text and element nodes, never markup pasted as a
 * string, so every document is well-formed by construction; the
 * serialiser escapes every text and attribute it writes (and is
 * checked against libxml2's own output by the fuzz harness).
 */
#ifndef GUIDEBOOK_XHTML_H
#define GUIDEBOOK_XHTML_H

#include <libxml/tree.h>

#include "book.h"

#define XHTML_NS	"http://www.w3.org/1999/xhtml"
#define EPUB_NS		"http://www.idpf.org/2007/ops"

/* Document flavours. */
#define XHTML_EPUB	1	/* epub namespace, links to book documents */

/*
 * A new XHTML document with head (title, stylesheet link when css is
 * not NULL) and an empty body; *body receives the body element.
 * Caller frees with xmlFreeDoc.
 */
xmlDocPtr	xhtml_skeleton(const struct book *, const char *title,
		    const char *css, int flags, xmlNodePtr *body);

/*
 * Render the Markdown tree of d into parent (a body or section).
 * Returns 0.  Warnings about dropped raw HTML go to stderr.
 */
int		xhtml_render(const struct book *, const struct doc *,
		    xmlNodePtr parent, int flags);

/*
 * A whole chapter or standalone document.  With XHTML_EPUB the content
 * sits in a section carrying epub_type and role.  Caller frees.
 */
xmlDocPtr	xhtml_document(const struct book *, const struct doc *,
		    const char *css, int flags, const char *epub_type,
		    const char *role);

/*
 * Helpers shared with the EPUB writer (borrowed parent, new child): an
 * element (in namespace ns, or the parent's) holding text, if any.
 */
xmlNodePtr	xhtml_elem(xmlNodePtr parent, const char *name,
		    const char *text);
xmlNodePtr	xhtml_elem_ns(xmlNodePtr parent, xmlNsPtr ns,
		    const char *name, const char *text);
void		xhtml_nl(xmlNodePtr parent);
/* The EPUB's name of a figure (a diagram block) of d; caller frees. */
char		*xhtml_figure_name(const struct doc *, const struct codeinfo *);

/* The href from document from to id in to (NULL: its top); caller frees. */
char		*xhtml_href(const struct doc *from, const struct doc *to,
		    const char *id);

/*
 * libxml2 reports problems of raw HTML through guidebook's diagnostics,
 * or not at all: silence its own messages.  Its handlers belong to each
 * thread, so every thread that uses libxml2 calls this.
 */
void		xhtml_quiet(void);

/*
 * Append the document to out as UTF-8 XML with a declaration, exactly
 * as xmlDocDumpFormatMemoryEnc writes it; format 1 indents.
 */
void		xhtml_serialize(xmlDocPtr, int format, struct buf *out);

#endif
