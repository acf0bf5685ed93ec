output "address" {
  description = "Host name of the database endpoint (the primary, also after a Multi-AZ failover)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database endpoint."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the database created in the instance."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Name of the master user (its password is in the master user secret)."
  value       = aws_db_instance.this.username
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS keeps the master user's credentials in (JSON with username and password): the service's APP_SECRET_ID."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the master user secret: the service's database_secret_kms_key_arn."
  value       = aws_kms_key.secret.arn
}

output "storage_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the storage, snapshots, Performance Insights and exported logs."
  value       = aws_kms_key.data.arn
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.this.id
}

output "instance_identifier" {
  description = "Identifier of the DB instance (the module's name), for CloudWatch alarms."
  value       = aws_db_instance.this.identifier
}

output "instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "resource_id" {
  description = "Resource ID of the DB instance, for rds-db:connect policies of IAM database authentication."
  value       = aws_db_instance.this.resource_id
}

output "parameter_group_name" {
  description = "Name of the DB parameter group."
  value       = aws_db_parameter_group.this.name
}

output "multi_az" {
  description = "Whether the instance has a standby in a second zone."
  value       = aws_db_instance.this.multi_az
}

output "deletion_protection" {
  description = "Whether the instance is protected from deletion."
  value       = aws_db_instance.this.deletion_protection
}
