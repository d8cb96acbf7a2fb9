#pragma once
// TensorFilterProxy: natural sort and the WQ.md §1 filter over a TensorTreeModel.
// * Filter text: "/pattern/" is a regular expression searched in the full name; text
//   with a "." is a torch-style dotted prefix; otherwise a case-insensitive substring
//   (the same matchesQuery() the CLI uses). Only tensors are tested; with recursive
//   filtering a group stays visible while any descendant matches.
// * Sorting: the name column compares components with qs::naturalLess — the CLI's own
//   order ("layers.9" before "layers.10"), so the tree and the `wq` output agree; numeric
//   columns compare the raw values; the worst-error column puts tensors without a value
//   last whichever way it is sorted.
// An invalid regular expression matches nothing; filterError() says why.
// Speed: a filter change evaluates every tensor name once (no QVariant, no QString per
// row) into a per-node visibility table that filterAcceptsRow() only looks up; the
// source must be a TensorTreeModel.
#include <QRegularExpression>
#include <QSortFilterProxyModel>

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

class TensorFilterProxy : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit TensorFilterProxy(QObject* parent = nullptr);

    void setFilterQuery(const QString& text);
    QString filterQuery() const { return m_text; }
    QString filterError() const { return m_error; }
    bool isFiltering() const { return !m_text.trimmed().isEmpty(); }
    // Does a full tensor name pass the current filter?
    bool matches(const QString& fullName) const;
    bool matches(const std::string& fullName) const;
    // Tensors passing the current filter (all when not filtering).
    int64_t matchCount() const { return m_matchCount; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    void recompute();

    QString m_text;
    std::string m_queryUtf8;
    std::vector<char> m_visible;  // per tree node: 1 when it or a descendant matches
    int64_t m_matchCount = 0;
    QString m_query;             // trimmed, non-regex form
    QRegularExpression m_regex;  // valid when the text is /.../
    bool m_useRegex = false;
    QString m_error;
};

} // namespace qs
