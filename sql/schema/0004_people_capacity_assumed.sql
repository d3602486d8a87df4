-- A person an import creates on first sight (ingest.Resolver, source
-- resolved) works an assumed 40-hour week, Monday to Friday, until the person
-- is imported with real capacity. capacity_assumed is 1 on such a version, so
-- every number that rests on the assumption says so (the capacity_assumed
-- flag of the KPIs, docs/kpis.md). Versions stored before this column read it
-- from their shape: the resolver's are the only ones of source resolved that
-- take effect on 2000-01-01. Written rows always carry the column.
ALTER TABLE ops.people ADD COLUMN IF NOT EXISTS capacity_assumed UInt8 DEFAULT source = 'resolved' AND valid_from = toDate('2000-01-01');
