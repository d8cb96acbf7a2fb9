// Model references (HF_HUB.md §1, §11; WQ.md §1): the golden repo_id_inputs of the
// reference tool, every URL form, hf:// URIs, local paths, repo-id validation,
// revision handling and the refusals with their messages.
#include "golden.h"
#include "hub/hub_options.h"
#include "hub/model_ref.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace qs;

namespace {

const QString kEndpoint = QStringLiteral("https://huggingface.co");

QString err(const Result<ModelRef>& r) { return r.ok() ? QString() : QString::fromStdString(r.error().message); }

} // namespace

class TestModelRef : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void goldenRepoIdInputs()
    {
        QString error;
        const auto doc = test::loadJson(test::goldenPath(QStringLiteral("model/expected.json")), &error);
        QVERIFY2(doc, qPrintable(error));
        const QJsonArray inputs = doc->object().value(QStringLiteral("repo_id_inputs")).toArray();
        QVERIFY(inputs.size() >= 8);
        int indexErrors = 0;
        for (const QJsonValue& v : inputs) {
            const QJsonObject o = v.toObject();
            const QString input = o.value(QStringLiteral("input")).toString();
            const auto r = parseModelReference(input, QString(), kEndpoint);
            if (o.contains(QStringLiteral("repo_id"))) {
                QVERIFY2(r.ok(), qPrintable(input + QStringLiteral(": ") + err(r)));
                QCOMPARE(r->repoId, o.value(QStringLiteral("repo_id")).toString());
                QVERIFY(!r->isLocal());
                continue;
            }
            const QJsonObject e = o.value(QStringLiteral("error")).toObject();
            QVERIFY2(!r.ok(), qPrintable(input));
            QCOMPARE(r.error().exitCode, 1);
            if (e.value(QStringLiteral("type")).toString() == QLatin1String("IndexError")) {
                // The reference crashes on these (e.g. https://hf.co/models, a listing page);
                // we refuse them with a message that says what was expected instead.
                ++indexErrors;
                QVERIFY2(err(r).contains(QLatin1String("org/name")), qPrintable(err(r)));
                continue;
            }
            // Same meaning as the reference's ValueError, same leading words.
            QString expected = e.value(QStringLiteral("message")).toString();
            expected.chop(expected.endsWith(QLatin1Char('.')) ? 1 : 0);
            QVERIFY2(err(r).startsWith(expected) || err(r).contains(expected), qPrintable(err(r) + " vs " + expected));
        }
        QCOMPARE(indexErrors, 1);
    }

    void urlForms_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("revisionOption");
        QTest::addColumn<QString>("repo");
        QTest::addColumn<QString>("revision");
        QTest::addColumn<QString>("subPath");
        QTest::addColumn<QString>("fileName");
        auto row = [](const char* name, QString in, QString opt, QString repo, QString rev, QString sub, QString file) {
            QTest::newRow(name) << in << opt << repo << rev << sub << file;
        };
        row("plain id", "Qwen/Qwen2-0.5B", "", "Qwen/Qwen2-0.5B", "main", "", "");
        row("plain id + --revision", "Qwen/Qwen2-0.5B", "v1.0", "Qwen/Qwen2-0.5B", "v1.0", "", "");
        row("page", "https://huggingface.co/org/name", "", "org/name", "main", "", "");
        row("no scheme", "huggingface.co/org/name", "", "org/name", "main", "", "");
        row("http scheme", "http://huggingface.co/org/name", "", "org/name", "main", "", "");
        row("hf.co", "https://hf.co/org/name", "", "org/name", "main", "", "");
        row("www", "https://www.huggingface.co/org/name/", "", "org/name", "main", "", "");
        row("hub-ci", "https://hub-ci.huggingface.co/org/name", "", "org/name", "main", "", "");
        row("models prefix", "https://huggingface.co/models/org/name", "", "org/name", "main", "", "");
        row("tree", "https://huggingface.co/org/name/tree/dev", "", "org/name", "dev", "", "");
        row("tree dir", "https://huggingface.co/org/name/tree/main/transformer", "", "org/name", "main", "transformer", "");
        row("tree nested dir", "hf.co/org/name/tree/main/a/b", "", "org/name", "main", "a/b", "");
        row("tree + same option", "https://huggingface.co/org/name/tree/dev", "dev", "org/name", "dev", "", "");
        row("blob file", "https://huggingface.co/org/name/blob/main/model.safetensors", "", "org/name", "main", "", "model.safetensors");
        row("blob index", "https://huggingface.co/org/name/blob/main/unet/diffusion_pytorch_model.safetensors.index.json", "",
            "org/name", "main", "unet", "");
        row("blob config", "https://huggingface.co/org/name/blob/v2/config.json", "", "org/name", "v2", "", "");
        row("resolve + query", "https://huggingface.co/org/name/resolve/main/model-00001-of-00002.safetensors?download=true",
            "", "org/name", "main", "", "model-00001-of-00002.safetensors");
        row("raw", "https://huggingface.co/org/name/raw/main/config.json", "", "org/name", "main", "", "");
        row("blame", "https://huggingface.co/org/name/blame/main/config.json", "", "org/name", "main", "", "");
        row("fragment", "https://huggingface.co/org/name/blob/main/config.json#L10", "", "org/name", "main", "", "");
        row("refs/pr", "https://huggingface.co/org/name/tree/refs/pr/12", "", "org/name", "refs/pr/12", "", "");
        row("refs/pr + dir", "https://huggingface.co/org/name/tree/refs/pr/3/sub", "", "org/name", "refs/pr/3", "sub", "");
        row("refs/convert", "https://huggingface.co/org/name/blob/refs/convert/parquet/x.safetensors", "", "org/name",
            "refs/convert/parquet", "", "x.safetensors");
        row("%2F revision", "https://huggingface.co/org/name/tree/feature%2Fx/sub", "", "org/name", "feature/x", "sub", "");
        row("%2F refs/pr", "https://huggingface.co/org/name/tree/refs%2Fpr%2F1", "", "org/name", "refs/pr/1", "", "");
        row("encoded file", "https://huggingface.co/org/name/blob/main/my%20dir/m.safetensors", "", "org/name", "main",
            "my dir", "m.safetensors");
        row("commit", "https://huggingface.co/org/name/tree/0123456789abcdef0123456789abcdef01234567", "", "org/name",
            "0123456789abcdef0123456789abcdef01234567", "", "");
        row("hf uri", "hf://org/name", "", "org/name", "main", "", "");
        row("hf uri models", "hf://models/org/name@v1/sub", "", "org/name", "v1", "sub", "");
        row("hf uri pr", "hf://org/name@refs/pr/7/model.safetensors", "", "org/name", "refs/pr/7", "", "model.safetensors");
        row("hf uri encoded rev", "hf://org/name@feature%2Fy", "", "org/name", "feature/y", "", "");
        row("dots and dashes", "my-org.x/model_v1.5-test", "", "my-org.x/model_v1.5-test", "main", "", "");
        row("endpoint host", "http://127.0.0.1:8099/org/name/tree/main", "", "org/name", "main", "", "");
        row("endpoint host no scheme", "127.0.0.1:8099/org/name", "", "org/name", "main", "", "");
    }

    void urlForms()
    {
        QFETCH(QString, input);
        QFETCH(QString, revisionOption);
        QFETCH(QString, repo);
        QFETCH(QString, revision);
        QFETCH(QString, subPath);
        QFETCH(QString, fileName);
        const auto r = parseModelReference(input, revisionOption, QStringLiteral("http://127.0.0.1:8099"));
        QVERIFY2(r.ok(), qPrintable(err(r)));
        QVERIFY(!r->isLocal());
        QCOMPARE(r->repoId, repo);
        QCOMPARE(r->revision, revision);
        QCOMPARE(r->subPath, subPath);
        QCOMPARE(r->fileName, fileName);
    }

    void endpointWithPathPrefix()
    {
        const auto r = parseModelReference(QStringLiteral("https://mirror.example/hf/org/name/tree/v3"), QString(),
                                           QStringLiteral("https://mirror.example/hf"));
        QVERIFY2(r.ok(), qPrintable(err(r)));
        QCOMPARE(r->repoId, QStringLiteral("org/name"));
        QCOMPARE(r->revision, QStringLiteral("v3"));
        // The mirror host is not accepted when it is not the endpoint.
        QVERIFY(!parseModelReference(QStringLiteral("https://mirror.example/hf/org/name"), QString(), kEndpoint).ok());
        // Another port of the endpoint host is another server.
        QVERIFY(!parseModelReference(QStringLiteral("http://127.0.0.1:9/org/name"), QString(),
                                     QStringLiteral("http://127.0.0.1:8099")).ok());
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("revisionOption");
        QTest::addColumn<QString>("message");
        auto row = [](const char* name, QString in, QString opt, QString msg) { QTest::newRow(name) << in << opt << msg; };
        row("empty", "", "", "Empty repo value");
        row("blank", "   ", "", "Empty repo value");
        row("dataset", "https://huggingface.co/datasets/org/data", "", "Only model repos are supported");
        row("space", "https://huggingface.co/spaces/org/app", "", "Only model repos are supported");
        row("hf uri dataset", "hf://datasets/org/data", "", "Only model repos are supported");
        row("other host", "https://github.com/org/name", "", "Unsupported host: github.com");
        row("ftp", "ftp://huggingface.co/org/name", "", "Unsupported URL scheme");
        row("single segment url", "https://huggingface.co/gpt2", "", "org/name");
        row("listing page", "https://huggingface.co/models", "", "org/name");
        row("commit page", "https://huggingface.co/org/name/commit/abc", "", "not a model page");
        row("discussions", "https://huggingface.co/org/name/discussions/4", "", "not a model page");
        row("settings", "https://huggingface.co/org/name/settings", "", "not a model page");
        row("collections", "https://huggingface.co/collections/org/slug-123", "", "site page");
        row("tree without rev", "https://huggingface.co/org/name/tree", "", "no revision");
        row("blob without file", "https://huggingface.co/org/name/blob/main", "", "no file path");
        row("single id", "gpt2", "", "namespace/name");
        row("three parts", "a/b/c", "", "Invalid repo id");
        row("double dash", "org/na--me", "", "'--' and '..' are not allowed");
        row("double dot", "org/na..me", "", "'--' and '..' are not allowed");
        row("leading dot", "org/.name", "", "may not start or end");
        row("trailing dash", "org-/name", "", "may not start or end");
        row("bad char", "org/na me", "", "only letters, digits");
        row(".git", "org/name.git", "", "may not end in .git");
        row("too long", QStringLiteral("org/") + QString(97, QLatin1Char('a')), "", "longer than 96");
        row("conflicting revisions", "https://huggingface.co/org/name/tree/dev", "main", "Conflicting revisions");
        row("dotdot revision", "org/name", "../x", "Invalid revision");
        row("missing local path", "./no/such/folder", "", "Local path not found");
        row("missing local file", "/no/such/model.safetensors", "", "Local path not found");
        row("dotdot in tree path", "https://huggingface.co/org/name/tree/main/a/%2E%2E/b", "", "'..' are not allowed");
    }

    void refusals()
    {
        QFETCH(QString, input);
        QFETCH(QString, revisionOption);
        QFETCH(QString, message);
        const auto r = parseModelReference(input, revisionOption, kEndpoint);
        QVERIFY2(!r.ok(), qPrintable(input));
        QVERIFY2(err(r).contains(message), qPrintable(err(r)));
        QCOMPARE(r.error().exitCode, 1);
    }

    void localPaths()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        QVERIFY(QDir(tmp.path()).mkpath(QStringLiteral("org/name")));
        QFile f(tmp.filePath(QStringLiteral("one.safetensors")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("12345678");
        f.close();
        QFile other(tmp.filePath(QStringLiteral("notes.txt")));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.close();

        auto dir = parseModelReference(tmp.path(), QString(), kEndpoint);
        QVERIFY(dir.ok());
        QVERIFY(dir->isLocal());
        QVERIFY(!dir->localIsFile);
        QCOMPARE(dir->localPath, QDir::cleanPath(tmp.path()));
        QCOMPARE(dir->revision, QStringLiteral("local"));

        auto file = parseModelReference(QStringLiteral("  ") + f.fileName() + QStringLiteral(" "), QString(), kEndpoint);
        QVERIFY(file.ok());
        QVERIFY(file->localIsFile);

        auto txt = parseModelReference(other.fileName(), QString(), kEndpoint);
        QVERIFY(!txt.ok());
        QVERIFY(err(txt).contains(QLatin1String("not a .safetensors file")));

        auto withRev = parseModelReference(tmp.path(), QStringLiteral("v2"), kEndpoint);
        QVERIFY(!withRev.ok());
        QVERIFY(err(withRev).contains(QLatin1String("Hub repos only")));

        // An existing folder named like a repo id is the local folder (relative path).
        const QString cwd = QDir::currentPath();
        QVERIFY(QDir::setCurrent(tmp.path()));
        auto shadow = parseModelReference(QStringLiteral("org/name"), QString(), kEndpoint);
        QDir::setCurrent(cwd);
        QVERIFY(shadow.ok());
        QVERIFY(shadow->isLocal());
        QCOMPARE(shadow->localPath, QDir::cleanPath(tmp.filePath(QStringLiteral("org/name"))));
    }

    void displayForm()
    {
        auto r = parseModelReference(QStringLiteral("https://huggingface.co/org/name/blob/v1/sub/m.safetensors"), QString(), kEndpoint);
        QVERIFY(r.ok());
        QCOMPARE(r->display(), QStringLiteral("org/name@v1/sub/m.safetensors"));
    }

    void validators()
    {
        QVERIFY(validateRepoId(QStringLiteral("a/b")).ok());
        QVERIFY(validateRepoId(QStringLiteral("A1_/b")).ok());  // '_' may end a part
        QVERIFY(validateRepoId(QStringLiteral("org/") + QString(96, QLatin1Char('x'))).ok());
        QVERIFY(!validateRepoId(QStringLiteral("/b")).ok());
        QVERIFY(!validateRepoId(QStringLiteral("a/")).ok());
        QVERIFY(validateRevision(QStringLiteral("refs/pr/1")).ok());
        QVERIFY(!validateRevision(QStringLiteral("a//b")).ok());
        QVERIFY(!validateRevision(QStringLiteral("a\\b")).ok());
        QVERIFY(!validateRevision(QStringLiteral("x\ny")).ok());
    }
};

QTEST_GUILESS_MAIN(TestModelRef)
#include "test_model_ref.moc"
