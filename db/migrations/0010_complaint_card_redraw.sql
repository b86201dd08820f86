-- A complaint whose card is in the escalation channel (posted, or waiting to be) and whose state changes,
-- by any path (a command, a button, a form, a sweep rung, a reopening, a handover's pass), records in the
-- same transaction that its card is to be redrawn: an outbox row of kind `card`, delivered after commit and
-- retried like any other; delivery draws the card from the complaint as it is then.
CREATE TRIGGER `complaint_card_redraw` AFTER UPDATE ON `complaints`
WHEN (
  OLD.`status` IS NOT NEW.`status` OR OLD.`owner_id` IS NOT NEW.`owner_id` OR OLD.`escalation_level` IS NOT NEW.`escalation_level`
  OR OLD.`resolution` IS NOT NEW.`resolution` OR OLD.`resolved_at` IS NOT NEW.`resolved_at` OR OLD.`deadline_at` IS NOT NEW.`deadline_at`
  OR OLD.`reopen_count` IS NOT NEW.`reopen_count` OR OLD.`severity` IS NOT NEW.`severity` OR OLD.`category` IS NOT NEW.`category`
  OR OLD.`summary` IS NOT NEW.`summary`
) AND (
  NEW.`thread_ts` IS NOT NULL
  OR EXISTS (SELECT 1 FROM `nudges` WHERE `subject_type` = 'complaint' AND `subject_id` = NEW.`id` AND `kind` = 'notice' AND `channel` IS NOT NULL AND `recipient_id` IS NULL AND `status` IN ('pending', 'sending'))
)
BEGIN
  INSERT INTO `nudges` (`tenant_id`, `dedupe_key`, `kind`, `subject_type`, `subject_id`, `channel`, `period`, `payload`, `not_before`, `created_at`)
  VALUES (NEW.`tenant_id`, 'card:' || NEW.`id` || ':' || lower(hex(randomblob(8))), 'card', 'complaint', NEW.`id`, NEW.`thread_channel`, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), NULL, NULL, CAST(unixepoch('subsec') * 1000 AS INTEGER));
END;
