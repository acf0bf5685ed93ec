output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}

output "repository_arn" {
  description = "ARN of the repository, for IAM policies that push to or pull from it."
  value       = aws_ecr_repository.this.arn
}

output "repository_url" {
  description = "URL of the repository (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME), to which an image tag or digest is appended."
  value       = aws_ecr_repository.this.repository_url
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the repository."
  value       = aws_kms_key.ecr.arn
}

output "replication_regions" {
  description = "Regions the images are replicated to (empty when replication is not managed here)."
  value       = var.replication_regions
}
