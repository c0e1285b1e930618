/*
 * libxml2-sax1-shim: an LD_PRELOAD library that gives pidgin-sipe's XML parser the callbacks it
 * registers, for the real-client tests (gateway/test/real-sipe/).
 *
 * pidgin-sipe (src/core/sipe-xml.c) parses every XML body with xmlSAXUserParseMemory() and a
 * handler that sets initialized = XML_SAX2_MAGIC but only the SAX1-style startElement/endElement
 * callbacks (startElementNs/endElementNs are NULL). Upstream libxml2 2.9 sees that no namespace
 * callback is set and parses in SAX1 mode, calling startElement/endElement (xmlDetectSAX2 in
 * parser.c). Debian 12's security-patched 2.9.14 treats such a handler as SAX2 and never calls
 * them: sipe then sees every XML document as empty — it signs in but never reads the RCC line
 * from its roaming data, and never opens RCC.
 *
 * This shim restores the upstream decision for exactly that kind of handler: it hands libxml2 a
 * copy of the handler with `initialized` cleared (a SAX1 handler), so the element callbacks are
 * called again. Parse errors still reach the handler's `error` callback (sipe sets both `error`
 * and `serror`; libxml2 uses `serror` only for SAX2 handlers). Every other handler is passed
 * through untouched. Whether the shim is needed is decided by a probe
 * (libxml2-sax1-probe.c), never assumed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>

#include <libxml/parser.h>

typedef int (*parse_memory_fn)(xmlSAXHandlerPtr, void *, const char *, int);

int xmlSAXUserParseMemory(xmlSAXHandlerPtr sax, void *user_data, const char *buffer, int size)
{
	static parse_memory_fn next;
	xmlSAXHandler sax1;

	if (next == NULL)
		next = (parse_memory_fn)dlsym(RTLD_NEXT, "xmlSAXUserParseMemory");
	if (next == NULL)
		return -1;
	if (sax == NULL || sax->initialized != XML_SAX2_MAGIC || sax->startElementNs != NULL ||
	    sax->endElementNs != NULL || (sax->startElement == NULL && sax->endElement == NULL))
		return next(sax, user_data, buffer, size);

	memcpy(&sax1, sax, sizeof sax1);
	sax1.initialized = 1; /* not XML_SAX2_MAGIC: libxml2 parses in SAX1 mode */
	return next(&sax1, user_data, buffer, size);
}
