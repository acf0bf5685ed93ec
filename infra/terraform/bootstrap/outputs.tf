output "bucket_name" {
  description = "Name of the state bucket: the \"bucket\" of every environment's backend."
  value       = aws_s3_bucket.state.bucket
}

output "bucket_arn" {
  description = "ARN of the state bucket, for the IAM policies of the roles that run Terraform."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the state: the \"kms_key_id\" of every environment's backend."
  value       = aws_kms_key.state.arn
}

output "access_logs_bucket_name" {
  description = "Name of the bucket that holds the state bucket's S3 server access logs."
  value       = aws_s3_bucket.access_logs.bucket
}

output "region" {
  description = "Region of the state bucket: the \"region\" of every environment's backend."
  value       = var.region
}

output "environment_variables" {
  description = "The backend's settings as scripts/infra and the deploy workflow read them: export these lines by hand, and set the same variables on each GitHub environment (docs/pipeline.md). The environments' backend blocks already hold the rest (key, encrypt, use_lockfile)."
  value       = <<-EOT
    export TF_STATE_BUCKET=${aws_s3_bucket.state.bucket}
    export TF_STATE_KMS_KEY_ARN=${aws_kms_key.state.arn}
    export AWS_REGION=${var.region}
  EOT
}
