-- The org's limit for a stuck client review: a review request waiting longer
-- than this many hours counts as stuck (kpi_pending_reviews, the approvals
-- page, opsmetrics_kpi_stuck_reviews). opsmetrics org set --stuck-review-hours.
ALTER TABLE ops.orgs ADD COLUMN IF NOT EXISTS stuck_review_hours UInt16 DEFAULT 48;
