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

output "backend_config_example" {
  description = "A backend block for one environment, ready to paste into its versions.tf (change the key per environment)."
  value       = <<-EOT
    terraform {
      backend "s3" {
        bucket       = "${aws_s3_bucket.state.bucket}"
        key          = "hello-service/dev/terraform.tfstate"
        region       = "${var.region}"
        encrypt      = true
        kms_key_id   = "${aws_kms_key.state.arn}"
        use_lockfile = true
      }
    }
  EOT
}
