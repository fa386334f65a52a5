#pragma once
// The Store written once in portable SQL (SQLite 3.35+ and PostgreSQL both have RETURNING and
// ON CONFLICT DO NOTHING) over a tiny connection interface that each backend implements.
// The statements live in sql/, one file per kind of record.
// Statements use `?` placeholders; the PostgreSQL backend rewrites them to $1, $2, ...
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "storage/store.hpp"

namespace haven::storage {

using SqlParam = std::variant<std::monostate, int64_t, std::string>;  // monostate = NULL
using SqlParams = std::vector<SqlParam>;
using SqlRow = std::vector<std::optional<std::string>>;  // every value as text; nullopt = NULL

struct SqlResult {
    std::vector<SqlRow> rows;
    int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

/// One database connection, used by one thread at a time.
class SqlConnection {
  public:
    virtual ~SqlConnection() = default;
    /// Runs one statement. Unique violation -> kConflict; foreign-key violation -> kNotFound;
    /// check violation -> kValidation; anything else kInternal (details logged, not returned).
    virtual Result<SqlResult> Run(const std::string& sql, const SqlParams& params) = 0;
    /// Runs several statements without parameters (a migration file).
    virtual Result<void> RunScript(std::string_view sql) = 0;
};

/// Exclusive use of one connection; the deleter gives it back.
using ConnectionHandle = std::unique_ptr<SqlConnection, std::function<void(SqlConnection*)>>;

class SqlDatabase {
  public:
    virtual ~SqlDatabase() = default;
    /// "sqlite" | "postgres": selects migrations/<backend>/.
    virtual std::string_view Backend() const = 0;
    /// The statement that opens a write transaction ("BEGIN IMMEDIATE" on SQLite).
    virtual std::string BeginStatement() const = 0;
    /// Blocks until a connection is free.
    virtual Result<ConnectionHandle> Acquire() = 0;
    /// A connection for one read-only statement outside any transaction. It may be a separate
    /// connection that sees every committed write but never the writer's open transaction; it
    /// refuses writes where the backend can enforce that. Default: Acquire().
    virtual Result<ConnectionHandle> AcquireReader() { return Acquire(); }
    /// Serialises concurrent Migrate() calls from several processes (no-op where not needed).
    virtual Result<void> LockForMigration(SqlConnection& conn) { return {}; }
    virtual void UnlockAfterMigration(SqlConnection& conn) {}
    /// The pool's connections now (/metrics).
    virtual Store::PoolUse Use() { return {}; }
    /// kUnavailable when writes on `conn` would be refused (a PostgreSQL standby or read-only session).
    virtual Result<void> CheckWritable(SqlConnection& conn) { return {}; }
};

/// The current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string NowIso8601();

class GroupCommitter;

class SqlStore final : public Store {
  public:
    /// `group_commit`: every write (Run, InTransaction) is a unit handed to one writer thread that
    /// commits units in batches (group_commit.hpp); otherwise each runs as its own transaction.
    SqlStore(std::unique_ptr<SqlDatabase> db, bool group_commit);
    ~SqlStore() override;

    Result<int> Migrate() override;
    // --- metrics ---
    Result<BacklogCounts> CountBacklog(const std::string& now, const std::string& first_due_before) override;
    PoolUse DatabasePoolUse() override;
    Result<std::string> CheckReady() override;

    Result<void> Atomically(const UnitOfWork& fn) override;
    void AtomicallyAsync(UnitOfWork fn, std::function<void(Result<void>)> done) override;
    void SetCompletionExecutor(Executor executor) override;

    Result<core::Agency> FindOrCreateAgency(const std::string& name) override;
    Result<core::Agency> FindAgency(int64_t id) override;
    Result<core::User> InsertUser(const core::User& user) override;
    Result<core::User> FindUserByEmail(const std::string& email) override;
    Result<core::User> FindUserById(int64_t id) override;

    Result<core::Lease> InsertLease(const core::Lease& lease) override;
    Result<core::Lease> FindLease(int64_t agency_id, int64_t id) override;
    Result<std::vector<core::Lease>> ListLeases(int64_t agency_id) override;
    Result<std::map<int64_t, std::string>> LeaseExternalIds(int64_t agency_id,
                                                            const std::vector<int64_t>& lease_ids) override;
    Result<core::Lease> FindLeaseByExternalId(int64_t agency_id, const std::string& external_id) override;
    Result<LeaseUpsert> UpsertLeaseByExternalId(const core::Lease& lease) override;
    Result<std::vector<core::Payment>> ListPayments(int64_t agency_id, std::optional<int64_t> lease_id) override;

    Result<core::StkTransaction> InsertStk(const core::StkTransaction& tx,
                                           const std::optional<IdempotencyRef>& key) override;
    Result<core::StkTransaction> SetStkDarajaIds(int64_t id, const std::string& merchant_request_id,
                                                 const std::string& checkout_request_id) override;
    Result<core::StkTransaction> MarkStkRejected(int64_t id, const std::string& result_desc) override;
    Result<core::StkTransaction> FindStk(int64_t agency_id, int64_t id) override;
    Result<core::StkTransaction> FindStkByCheckoutId(int64_t agency_id, const std::string& checkout_id) override;
    Result<core::StkTransaction> FindStkByCheckoutIdAnyAgency(const std::string& checkout_id) override;
    Result<std::vector<core::StkTransaction>> ListStk(const StkFilter& filter) override;
    Result<std::vector<core::StkTransaction>> ListStkAwaitingIds(const std::string& phone_number, int64_t amount,
                                                                 const std::string& from,
                                                                 const std::string& to) override;
    Result<ApplyResult> ApplyStkOutcome(const std::string& checkout_id, const StkOutcome& outcome) override;

    Result<void> AddStkEvent(int64_t transaction_id, const std::string& kind, const std::string& payload) override;
    Result<std::vector<core::TxEvent>> ListStkEvents(int64_t transaction_id) override;
    Result<void> InsertUnmatchedCallback(const std::string& kind, const std::string& reference,
                                         const std::string& payload) override;
    Result<int64_t> CountUnmatchedCallbacks(const std::string& reference) override;
    Result<std::vector<std::string>> ListUnmatchedCallbacks(const std::string& kind,
                                                            const std::string& reference) override;
    Result<void> DeleteUnmatchedCallbacks(const std::string& kind, const std::string& reference) override;
    Result<std::vector<std::pair<std::string, std::string>>> ListUnmatchedCallbacksBetween(
        const std::string& kind, const std::string& from, const std::string& to) override;

    Result<int64_t> StoreInbound(const std::string& kind, const std::string& body) override;
    Result<void> SetInboundOutcome(int64_t id, const std::string& outcome) override;
    Result<InboundMessage> FindInbound(int64_t id) override;

    Result<ReviewItem> OpenReview(const ReviewItem& item) override;
    Result<std::vector<ReviewItem>> ListReview(const ReviewFilter& filter) override;
    Result<int64_t> CountOpenReview(int64_t agency_id, bool include_unassigned) override;
    Result<ReviewItem> ResolveReview(int64_t agency_id, bool include_unassigned, int64_t id,
                                     const std::string& resolution, const std::string& resolved_by) override;

    Result<std::vector<core::StkTransaction>> ClaimDueStk(const Claim& claim) override;
    Result<std::vector<Transfer>> ClaimDueTransfers(const Claim& claim) override;
    Result<void> RecordAttempt(WorkQueue queue, int64_t id, const std::string& owner, const std::string& error,
                               const std::string& next_attempt_at) override;
    Result<int64_t> ExpireUnansweredQueries(const std::string& older_than) override;

    Result<IdempotencyRecord> ClaimIdempotencyKey(int64_t agency_id, const std::string& scope, const std::string& key,
                                                  const std::string& request_hash, int64_t claim_seconds) override;
    Result<int64_t> PruneIdempotencyKeys(const std::string& older_than) override;
    Result<void> CompleteIdempotencyKey(int64_t agency_id, const std::string& scope, const std::string& key, int status,
                                        const std::string& body) override;

    Result<core::TxKind> FindTransactionKind(int64_t agency_id, int64_t id) override;
    Result<Transfer> InsertTransfer(const Transfer& transfer, const std::optional<IdempotencyRef>& key) override;
    Result<Transfer> SetTransferDarajaIds(int64_t id, const std::string& originator_conversation_id,
                                          const std::string& conversation_id) override;
    Result<Transfer> MarkTransferRejected(int64_t id, const std::string& result_desc) override;
    Result<Transfer> FindTransfer(int64_t agency_id, int64_t id) override;
    Result<Transfer> FindTransferByConversationId(const std::string& conversation_id) override;
    Result<std::vector<Transfer>> ListTransfers(const TransferFilter& filter) override;
    Result<std::vector<TransferTotals>> LinkedTransferTotals(int64_t agency_id,
                                                             const std::vector<int64_t>& original_ids) override;
    Result<TransferApplyResult> ApplyTransferOutcome(int64_t id, const TransferOutcome& outcome) override;
    Result<void> AddTransferEvent(int64_t transfer_id, const std::string& kind, const std::string& payload) override;
    Result<std::vector<core::TxEvent>> ListTransferEvents(int64_t transfer_id) override;

    Result<BalanceCheck> InsertBalanceCheck(const BalanceCheck& check) override;
    Result<BalanceCheck> SetBalanceCheckIds(int64_t id, const std::string& originator_conversation_id,
                                            const std::string& conversation_id) override;
    Result<std::pair<bool, BalanceCheck>> ApplyBalanceOutcome(const std::string& conversation_id,
                                                              const QueryOutcome& outcome) override;
    Result<BalanceCheck> FindLatestBalanceCheck(int64_t agency_id, bool successful_only) override;

    Result<StatusQuery> InsertStatusQuery(const StatusQuery& query) override;
    Result<StatusQuery> SetStatusQueryIds(int64_t id, const std::string& originator_conversation_id,
                                          const std::string& conversation_id) override;
    Result<std::pair<bool, StatusQuery>> ApplyStatusOutcome(const std::string& conversation_id,
                                                            const QueryOutcome& outcome) override;

    Result<void> InsertAudit(const core::AuditEntry& entry) override;
    Result<int64_t> CountAudit(const std::string& action, const std::string& outcome_prefix) override;

    // Login throttling
    Result<LoginFailures> FindLoginFailures(const std::string& email, const std::string& address) override;
    Result<LoginFailures> RecordLoginFailure(const std::string& email, const std::string& address, int64_t now_ms,
                                             int64_t forget_before_ms) override;
    Result<AddressLoginFailures> CountAddressLoginFailures(const std::string& address, int64_t since_ms) override;
    Result<void> ClearLoginFailures(const std::string& email, const std::string& address) override;
    Result<int64_t> PruneLoginFailures(int64_t failures_before_ms, int64_t address_before_ms) override;

    // --- audit ---
    Result<std::vector<AuditRecord>> ListAudit(const AuditFilter& filter) override;
    Result<LeaseChange> UpdateLease(int64_t agency_id, int64_t id, const LeaseEdit& edit) override;
    Result<LeaseChange> EndLease(int64_t agency_id, int64_t id, const std::string& end_date,
                                 const std::string& reason) override;

    // Privacy (privacy.cpp)
    Result<PersonalData> FindPersonalData(int64_t agency_id, const std::string& phone_number) override;
    Result<ErasureCounts> ErasePersonalData(int64_t agency_id, const std::string& phone_number,
                                            const std::string& placeholder) override;
    Result<int64_t> PruneRawBodies(const std::string& older_than, int limit) override;

    // Sessions (sql/sessions.cpp)
    Result<void> InsertRefreshToken(const RefreshToken& token) override;
    Result<RefreshSpendResult> SpendRefreshToken(const std::string& token_hash, int64_t now_ms) override;
    Result<int64_t> RevokeRefreshFamilyOf(const std::string& token_hash, int64_t now_ms) override;
    Result<int64_t> PruneRefreshTokens(int64_t before_ms) override;
    Result<TotpRecord> FindTotp(int64_t user_id) override;
    Result<void> StartTotp(int64_t user_id, const std::string& secret, int64_t now_ms) override;
    Result<void> EnableTotp(int64_t user_id, const std::vector<std::string>& recovery_code_hashes) override;
    Result<void> DisableTotp(int64_t user_id) override;
    Result<bool> ClaimTotpStep(int64_t user_id, int64_t step) override;
    Result<bool> UseRecoveryCode(int64_t user_id, const std::string& code_hash, int64_t now_ms) override;
    Result<int64_t> CountRecoveryCodes(int64_t user_id) override;
    Result<bool> RequireAdminTwoFactor(int64_t agency_id) override;
    Result<void> SetRequireAdminTwoFactor(int64_t agency_id, bool required) override;
    // approvals
    Result<AgencySettings> FindAgencySettings(int64_t agency_id) override;
    Result<AgencySettings> UpdateAgencySettings(int64_t agency_id, const AgencySettings& settings) override;
    Result<Approval> InsertApproval(const Approval& approval) override;
    Result<Approval> FindApproval(int64_t agency_id, int64_t id) override;
    Result<std::vector<Approval>> ListApprovals(const ApprovalFilter& filter) override;
    Result<std::pair<bool, Approval>> DecideApproval(int64_t agency_id, int64_t id,
                                                     const ApprovalDecision& decision) override;
    Result<void> SetApprovalResult(int64_t id, std::optional<int64_t> transaction_id,
                                   const std::string& outcome) override;
    Result<std::vector<Approval>> ExpireDueApprovals(const std::string& now, int limit) override;
    Result<int64_t> PayoutTotal(int64_t agency_id, const std::string& from, const std::string& to,
                                const std::string& now) override;
    // api keys (sql/api_keys.cpp)
    Result<ApiKey> InsertApiKey(const ApiKey& key) override;
    Result<ApiKey> FindApiKeyByHash(const std::string& key_hash) override;
    Result<std::vector<ApiKey>> ListApiKeys(int64_t agency_id) override;
    Result<ApiKey> RevokeApiKey(int64_t agency_id, int64_t id) override;
    Result<void> TouchApiKey(int64_t id, const std::string& at) override;
    Result<core::Agency> SetAgencyExternalId(int64_t agency_id, const std::string& external_id) override;
    Result<core::Agency> FindAgencyByExternalId(const std::string& external_id) override;

    // --- users ---
    Result<std::vector<core::User>> ListUsers(int64_t agency_id) override;
    Result<UserInvite> InsertInvite(const UserInvite& invite) override;
    Result<std::vector<UserInvite>> ListPendingInvites(int64_t agency_id, const std::string& now) override;
    Result<UserInvite> RevokeInvite(int64_t agency_id, int64_t id) override;
    Result<UserInvite> FindInviteByTokenHash(const std::string& token_hash) override;
    Result<core::User> RedeemInvite(const std::string& token_hash, const std::string& password_hash,
                                    const std::string& now, int64_t tokens_valid_after) override;
    Result<core::User> SetUserRole(int64_t agency_id, int64_t user_id, core::Role role) override;
    Result<core::User> SetUserDisabled(int64_t agency_id, int64_t user_id, bool disabled,
                                       int64_t tokens_valid_after) override;
    Result<core::User> SetUserPassword(int64_t user_id, const std::string& password_hash,
                                       int64_t tokens_valid_after) override;
    Result<UserInvite> StartPasswordReset(int64_t agency_id, int64_t user_id, const UserInvite& link,
                                          int64_t tokens_valid_after) override;

    // --- hooks ---
    Result<std::optional<C2bSettings>> FindC2bSettings(int64_t agency_id) override;
    Result<C2bSettings> UpdateC2bSettings(int64_t agency_id, const C2bSettings& settings,
                                          const std::string& updated_by) override;
    Result<C2bSettings> RecordC2bRegistration(int64_t agency_id, const C2bSettings& used, const std::string& urls_json,
                                              const std::string& at, const std::string& updated_by) override;
    // --- rent roll --- (sql/rent_roll.cpp)
    Result<std::map<int64_t, LeaseRentSums>> SumRentRoll(int64_t agency_id, const std::string& month_start,
                                                         const std::string& month_end) override;
    // --- accounts --- (sql/accounts.cpp)
    Result<MpesaAccount> UpsertMpesaAccount(const MpesaAccount& account) override;
    Result<MpesaAccount> FindMpesaAccount(int64_t agency_id) override;
    Result<bool> ClearMpesaAccount(int64_t agency_id, const std::string& updated_by) override;
    // --- c2b ---
    Result<C2bRecorded> InsertC2bPayment(const C2bPayment& payment) override;
    Result<std::optional<int64_t>> FindC2bRouteAgency(const std::string& shortcode, const std::string& global_shortcode,
                                                      const std::string& global_till) override;
    Result<LeaseMatch> MatchLeaseByAccountKey(int64_t agency_id, const std::string& key) override;
    Result<LeaseMatch> MatchLeaseByPhoneHash(int64_t agency_id, const std::string& phone_hash) override;
    Result<C2bPayment> FindC2bPayment(int64_t agency_id, int64_t id) override;
    Result<std::vector<C2bPayment>> ListC2bPayments(const C2bFilter& filter) override;
    Result<C2bRecorded> AssignC2bPayment(int64_t agency_id, int64_t id, int64_t lease_id,
                                         const std::string& resolved_by) override;
    Result<C2bPayment> LinkC2bRefund(int64_t agency_id, int64_t id, int64_t transfer_id,
                                     const std::string& resolved_by) override;
    Result<int64_t> BackfillLeaseKeys() override;
    // --- reconciliation --- (sql/reconciliation.cpp)
    Result<std::vector<ReceiptRecord>> FindReceiptRecords(int64_t agency_id,
                                                          const std::vector<std::string>& receipts) override;
    Result<std::vector<ReceiptRecord>> ListReceiptRecordsCompleted(int64_t agency_id, const std::string& from,
                                                                   const std::string& to) override;
    Result<std::vector<core::StkTransaction>> ListStkUnderReview(int64_t agency_id, const std::string& from,
                                                                 const std::string& to) override;
    Result<ApplyResult> SettleStkById(int64_t agency_id, int64_t id, const StkOutcome& outcome) override;
    Result<ReconciliationImport> FindReconciliationImportBySha(int64_t agency_id,
                                                               const std::string& file_sha256) override;
    Result<ReconciliationImport> InsertReconciliationImport(
        const ReconciliationImport& import, const std::vector<ReconciliationFinding>& findings) override;
    Result<ReconciliationImport> FindReconciliationImport(int64_t agency_id, int64_t id) override;
    Result<std::vector<ReconciliationImport>> ListReconciliationImports(int64_t agency_id,
                                                                        std::optional<int64_t> before_id,
                                                                        int limit) override;
    Result<std::vector<ReconciliationFinding>> ListReconciliationFindings(const FindingFilter& filter) override;
    Result<ReconciliationFinding> FindReconciliationFinding(int64_t agency_id, int64_t import_id, int64_t id) override;
    Result<ReconciliationFinding> ResolveReconciliationFinding(int64_t agency_id, int64_t import_id, int64_t id,
                                                               const std::string& resolution,
                                                               const std::string& resolved_by,
                                                               std::optional<int64_t> transaction_id) override;

    // --- outbox ---
    Result<OutboxEvent> InsertOutboxEvent(const OutboxEvent& event) override;
    Result<int64_t> LatestOutboxEventId() override;
    Result<int64_t> SkipOutboxEvents(int64_t after_id, int64_t up_to_id) override;
    // --- analytics --- (sql/analytics.cpp)
    Result<std::vector<CollectionSums>> SumCollections(int64_t agency_id, const std::vector<TimeSpan>& spans) override;
    Result<std::vector<StkOutcomeCounts>> CountStkOutcomes(int64_t agency_id,
                                                           const std::vector<TimeSpan>& spans) override;
    Result<std::vector<std::vector<TransferSums>>> SumTransfers(int64_t agency_id,
                                                                const std::vector<TimeSpan>& spans) override;

    // --- demo --- (sql/demo.cpp)
    Result<std::optional<DemoSeed>> FindDemoSeed(int64_t agency_id) override;
    Result<DemoSeed> InsertDemoSeed(const DemoSeed& seed) override;
    Result<void> BackdateDemoTransaction(int64_t transaction_id, const std::string& created_at,
                                         const std::string& completed_at) override;
    Result<void> BackdateDemoLease(int64_t lease_id, const std::string& created_at) override;

    // --- alerts ---
    Result<std::vector<AlertEvidence>> PushesWithoutCallback(const std::string& since,
                                                             const std::string& accepted_before) override;
    Result<std::vector<AlertEvidence>> FailingWebhookEndpoints(const std::string& failing_before) override;
    Result<std::vector<ReviewItem>> LatestAlerts(std::optional<int64_t> agency_id, bool open_only) override;
    Result<bool> HasOutboxEvent(const std::string& type, const std::string& subject_kind, int64_t subject_id) override;

    // --- outbox: fan-out, delivery, webhook endpoints ---
    Result<OutboxEvent> FindOutboxEvent(int64_t id) override;
    Result<std::vector<OutboxEvent>> ClaimDueOutboxEvents(const Claim& claim) override;
    Result<int64_t> FanOutOutboxEvent(int64_t event_id, const std::string& owner,
                                      const std::vector<OutboxMessage>& messages) override;
    Result<void> RetryOutboxEvent(int64_t event_id, const std::string& owner, const std::string& error,
                                  const std::string& next_attempt_at) override;
    Result<std::vector<OutboxMessage>> ClaimDueOutboxMessages(const Claim& claim) override;
    Result<OutboxMessage> RecordOutboxAttempt(int64_t message_id, const std::string& owner,
                                              const OutboxAttempt& attempt, const std::string& status,
                                              const std::string& next_attempt_at) override;
    Result<OutboxMessage> FindOutboxMessage(int64_t agency_id, int64_t id) override;
    Result<std::vector<OutboxMessage>> ListOutboxMessages(const OutboxMessageFilter& filter) override;
    Result<std::vector<OutboxMessage>> ListSubjectMessages(int64_t agency_id, const std::string& subject_key) override;
    Result<std::vector<OutboxAttempt>> ListOutboxAttempts(int64_t message_id) override;
    Result<OutboxMessage> ResendOutboxMessage(int64_t agency_id, int64_t id) override;
    Result<WebhookEndpoint> InsertWebhookEndpoint(const WebhookEndpoint& endpoint) override;
    Result<WebhookEndpoint> FindWebhookEndpoint(int64_t agency_id, int64_t id) override;
    Result<WebhookEndpoint> FindWebhookEndpointAny(int64_t id) override;
    Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints(int64_t agency_id) override;
    Result<WebhookEndpoint> UpdateWebhookEndpoint(const WebhookEndpoint& endpoint) override;
    Result<WebhookEndpoint> DeleteWebhookEndpoint(int64_t agency_id, int64_t id) override;
    Result<WebhookEndpoint> RecordEndpointOutcome(int64_t id, bool ok, const std::string& now) override;
    Result<bool> DisableFailingEndpoint(int64_t id, const std::string& reason, const std::string& now) override;

  private:
    /// Runs one statement on a pooled connection (with group commit: as a unit on the writer, so it is
    /// ordered after every earlier write and sees it).
    Result<SqlResult> Run(const std::string& sql, const SqlParams& params);
    /// Runs one read-only statement on a reader connection (SQLite: off the writer's lock).
    Result<SqlResult> RunRead(const std::string& sql, const SqlParams& params);
    /// Run() as a callable, for the statement helpers that also run inside a transaction.
    auto Pooled() { return std::bind_front(&SqlStore::Run, this); }
    /// Runs `body` inside BEGIN ... COMMIT on one connection; rolls back when it fails. With group
    /// commit: inside a savepoint of the writer's batch transaction, answered once the batch committed.
    template <class T, class F>
    Result<T> InTransaction(F&& body);
    /// Inside a unit of work: `body` on the unit's connection in a savepoint of its own.
    template <class T, class F>
    Result<T> InSavepoint(SqlConnection& c, F&& body);
    /// The connection of the unit of work this thread is running for this store, if any.
    SqlConnection* Current() const;
    /// Makes `c` the current connection of this thread for this store while it lives.
    class Bind;

    std::unique_ptr<SqlDatabase> db_;
    std::unique_ptr<GroupCommitter> committer_;  // declared after db_: stops before the database closes
    bool statement_atomic_ = false;              // a failed statement leaves the transaction usable (SQLite)
};

}  // namespace haven::storage
