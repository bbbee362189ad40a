/* Releases from wardd over HTTP (fw_source.h). Scaffolding: h-fwsrv replaces
 * this file with the real client in the same session; it never ships. */
#include "cli.h"
#include "fw_source.h"

int fw_source_http_open(fw_source *s, const char *server_url)
{
    (void)s;
    return cli_fail("%s: firmware from wardd is not built yet", server_url);
}
