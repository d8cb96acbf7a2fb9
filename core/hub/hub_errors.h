#pragma once
// Turning Hub HTTP answers into actionable Errors (HF_HUB.md §6, §13.7). Every error is
// exitCode 2 and names the repo (and file / revision) and what to do: set a token for a
// private repo, accept the licence of a gated one, drop a stale token, check the
// revision or the file name. The token itself never appears; only where it came from.
#include "common/result.h"
#include "hub/http_client.h"

#include <QString>

namespace qs {

struct HubErrorContext {
    QString endpoint;     // https://huggingface.co
    QString repoId;       // org/name
    QString revision;     // as the user gave it (or the commit)
    QString path;         // repo file, "" for repo-level requests
    QString what;         // "repo info", "file listing", "model.safetensors bytes 0-99"
    bool hadToken = false;
    QString tokenSource;  // "HF_TOKEN", "token file /x"
    int retries = 0;      // how often a 408/429/5xx was retried before giving up
};

// The Error for a non-2xx answer (status >= 300) in that context.
Error hubHttpError(const HttpResponse& response, const HubErrorContext& ctx);

// X-Error-Message, else {"error": ...} of a JSON body, else the start of a text body.
QString hubErrorMessage(const HttpResponse& response);

} // namespace qs
