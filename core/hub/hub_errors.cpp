#include "hub/hub_errors.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace qs {

QString hubErrorMessage(const HttpResponse& response)
{
    const QByteArray header = response.header("X-Error-Message");
    if (!header.isEmpty()) return QString::fromUtf8(header).trimmed();
    const QJsonDocument doc = QJsonDocument::fromJson(response.body);
    if (doc.isObject() && doc.object().value(QStringLiteral("error")).isString())
        return doc.object().value(QStringLiteral("error")).toString().trimmed();
    QString text = QString::fromUtf8(response.body.left(300)).simplified();
    // Never echo markup pages at length.
    if (text.startsWith(QLatin1Char('<'))) text = text.left(120);
    return text;
}

Error hubHttpError(const HttpResponse& r, const HubErrorContext& c)
{
    const QByteArray code = r.header("X-Error-Code");
    const QString msg = hubErrorMessage(r);
    const QString repoUrl = c.endpoint + QLatin1Char('/') + c.repoId;
    const QString requestId = QString::fromLatin1(r.header("X-Request-Id"));
    const bool resolveRoute = !c.path.isEmpty();
    QString text;
    const QString tokenFrom = c.tokenSource.isEmpty() ? QStringLiteral("the configured token") : c.tokenSource;

    if (code == "RevisionNotFound") {
        text = QStringLiteral("Revision '%1' not found in %2 (%3). Check --revision: branches, tags, full "
                              "40-hex commits and refs/pr/N are accepted.").arg(c.revision, c.repoId, c.endpoint);
    } else if (code == "EntryNotFound") {
        text = QStringLiteral("File '%1' not found in %2 at revision %3.").arg(c.path, c.repoId, c.revision);
    } else if (code == "GatedRepo") {
        if (!c.hadToken || r.status == 401)
            text = QStringLiteral("%1 is a gated model: its files need a token. Log in at %2, accept the licence, "
                                  "then set HF_TOKEN to a read token of that account.").arg(c.repoId, repoUrl);
        else
            text = QStringLiteral("%1 is a gated model and the account of the token from %2 has not been granted "
                                  "access yet: accept the licence at %3 (approval may take a while), then retry.")
                       .arg(c.repoId, tokenFrom, repoUrl);
    } else if (msg.contains(QLatin1String("Access to this resource is disabled"), Qt::CaseInsensitive)) {
        text = QStringLiteral("%1 has been disabled on the Hub (%2).").arg(c.repoId, c.endpoint);
    } else if (r.status == 401 && c.hadToken) {
        text = QStringLiteral("The Hub rejected the token from %1 (401 Unauthorized: invalid, expired or revoked). "
                              "A stale token breaks downloads of public models too: fix it, or retry without it "
                              "(unset HF_TOKEN / HUGGING_FACE_HUB_TOKEN or remove the token file). Server: %2")
                   .arg(tokenFrom, msg.isEmpty() ? QStringLiteral("-") : msg);
    } else if (code == "RepoNotFound" || r.status == 401 || (r.status == 404 && !resolveRoute)) {
        text = c.hadToken
            ? QStringLiteral("Repository %1 not found on %2, or it is private and the token from %3 has no access "
                             "to it. Check the id.").arg(c.repoId, c.endpoint, tokenFrom)
            : QStringLiteral("Repository %1 not found on %2, or it is private. Check the id; if it is private, set "
                             "HF_TOKEN to a token with read access.").arg(c.repoId, c.endpoint);
    } else if (r.status == 404) {
        text = QStringLiteral("File '%1' not found in %2 at revision %3 (404).").arg(c.path, c.repoId, c.revision);
    } else if (r.status == 403) {
        text = QStringLiteral("Access to %1 of %2 was refused (403): %3").arg(c.what, c.repoId, msg);
    } else if (r.status == 416) {
        text = QStringLiteral("%1 of %2: the server says the range is outside the file (416, file size %3).")
                   .arg(c.what, c.repoId).arg(r.contentRangeTotal);
    } else if (r.status == 408 || r.status == 429 || r.status >= 500) {
        text = QStringLiteral("The Hub answered %1 for %2 of %3%4; try again later.%5")
                   .arg(r.status).arg(c.what, c.repoId,
                                      c.retries > 0 ? QStringLiteral(" after %1 retries").arg(c.retries) : QString(),
                                      requestId.isEmpty() ? QString() : QStringLiteral(" (X-Request-Id: %1)").arg(requestId));
    } else if (r.status >= 300 && r.status < 400) {
        text = QStringLiteral("%1 of %2: unexpected redirect %3 to %4.")
                   .arg(c.what, c.repoId).arg(r.status)
                   .arg(urlForMessage(r.finalUrl.resolved(QUrl::fromEncoded(r.header("Location")))));
    } else {
        text = QStringLiteral("%1 of %2: unexpected HTTP %3 from %4: %5")
                   .arg(c.what, c.repoId).arg(r.status).arg(urlForMessage(r.finalUrl), msg);
    }
    return Error::model(text.toStdString());
}

} // namespace qs
