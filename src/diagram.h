/*
 * Text drawings (```diagram blocks) as SVG images.  A pure module: no
 * I/O, no diagnostics, no state outside the struct.  The drawing is
 * judged once, in diagram_parse; the writers only read the verdict.
 *
 * What a cell of the drawing is (cell by cell, as in the text):
 *	-	a horizontal line in a run of two or more, except "--x"
 *		(a letter after, no + | or < before: an option, a dash);
 *		alone, when it touches a + | < or > on one side and one
 *		of those or a blank on the other ("+-+", "|- a", " -> ",
 *		but "type-specific", "-X", "a->b", "a - b" are text)
 *	|	always a vertical line; it reaches a - beside it, and the
 *		centre of a - above or below it
 *	+	a corner or junction when it touches a line or arrowhead
 *		in line with it, or another such corner; it joins only
 *		those neighbours.  Otherwise text ("C++", "a + b").
 *	> <	an arrowhead after (before) a horizontal line
 *	v V	an arrowhead below a | or + (or box drawing), with no
 *		letter, digit or _ on either side ("|\nvalue" is text)
 *	^	an arrowhead above a | or + (or box drawing)
 *	U+2500 U+2502, the light corners, tees and cross of U+250C
 *	to U+253C, the arcs U+256D to U+2570: box drawing, always
 *		line art with the arms the character shows
 *	U+25B2 U+25B6 U+25BC U+25C0
 *		black triangles: always arrowheads
 *	other	text: runs of it (single blanks inside) on the cell grid
 * An arrowhead that points at a line (| or + beside a > or <, - or +
 * beyond a v or ^) reaches its centre.
 */
#ifndef GUIDEBOOK_DIAGRAM_H
#define GUIDEBOOK_DIAGRAM_H

#include <stddef.h>

#include "util.h"

struct diagram;

/*
 * Parse the drawing: len bytes of UTF-8 (invalid bytes, NULs and
 * control characters become U+FFFD), lines split at \n, trailing blanks
 * and trailing blank lines ignored, tabs expanded to 8.  Never fails:
 * every input gives a drawing, which the caller frees with
 * diagram_free.  Linear in len; text is not referenced afterwards.
 */
struct diagram	*diagram_parse(const char *text, size_t len);
void		 diagram_free(struct diagram *);

/* Its size in character cells (columns: the widest line, in code points). */
size_t		 diagram_columns(const struct diagram *);
size_t		 diagram_rows(const struct diagram *);

/*
 * Append a standalone SVG 1.1 document to out: XML declaration, svg
 * root with xmlns, width and height in px and the same viewBox.  A cell
 * is 8.4 x 18 px (monospace at 14 px) with half a cell of padding
 * around, so the image is (columns + 1) * 8.4 by (rows + 1) * 18 px.
 * title (UTF-8, borrowed), when not NULL, becomes the <title>.
 * Everything after the first line is one <svg> element, fit to be
 * inlined in XHTML.
 */
void		 diagram_svg(const struct diagram *, const char *title,
		    struct buf *out);

/*
 * Append the drawing's text in reading order (rows top to bottom, runs
 * left to right), separated by single spaces, line art left out: the
 * alt text.  Plain UTF-8, not escaped; nothing when there is no text.
 */
void		 diagram_words(const struct diagram *, struct buf *out);

#endif
