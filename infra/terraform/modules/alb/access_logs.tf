# The account in each Region that Elastic Load Balancing delivers access logs
# from, for the Regions that existed before August 2022. Newer Regions deliver
# through the logdelivery.elasticloadbalancing.amazonaws.com service principal
# instead; the bucket policy allows both so the module works in either.
data "aws_elb_service_account" "current" {}

locals {
  # Bucket names are global: the account and Region make this one unique. The
  # name part is cut so the whole stays within the 63-character limit.
  access_logs_bucket_suffix = "-alb-logs-${local.account_id}-${local.region}"
  access_logs_bucket_name   = "${substr(var.name, 0, 63 - length(local.access_logs_bucket_suffix))}${local.access_logs_bucket_suffix}"

  # How long an overwritten or deleted log stays recoverable through versioning.
  access_logs_noncurrent_days = 30
}

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18: This bucket receives the access logs; logging access to it would need another log bucket and would log its own deliveries.
  #checkov:skip=CKV_AWS_144: Access logs are operational data kept for a limited time; a replica in a second Region would double their cost for no recovery need.
  #checkov:skip=CKV2_AWS_62: Nothing consumes events of new log objects; they are read on demand (Athena, download).
  #checkov:skip=CKV_AWS_145: ALB access logs can be delivered only to buckets encrypted with SSE-S3 (AES256), not SSE-KMS.
  bucket        = local.access_logs_bucket_name
  force_destroy = var.force_destroy_logs

  tags = {
    Name = local.access_logs_bucket_name
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# ACLs are disabled: the bucket policy alone decides who may write, and every
# log object belongs to this account.
resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      # SSE-S3 is the only encryption ELB log delivery supports.
      sse_algorithm = "AES256"
    }
  }
}

# Versioning keeps a log that is overwritten or deleted recoverable for
# access_logs_noncurrent_days, so the record of requests cannot be quietly
# rewritten.
resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_logs_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = local.access_logs_noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Once the last version of an expired log is gone, its delete marker is
  # useless: removing it keeps listings fast.
  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "AllowElbLogDeliveryAccount"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.current.arn]
    }
  }

  statement {
    sid       = "AllowElbLogDeliveryService"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.access_logs.arn,
      "${aws_s3_bucket.access_logs.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  # S3 answers concurrent configuration changes to one bucket with
  # OperationAborted; the public access block goes first, then the policy.
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
