output "deploy_role_arn" {
  description = "ARN of the deploy role, for role-to-assume in aws-actions/configure-aws-credentials."
  value       = aws_iam_role.deploy.arn
}

output "deploy_role_name" {
  description = "Name of the deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider the deploy role trusts (created here, or the one passed in)."
  value       = local.oidc_provider_arn
}

output "allowed_subjects" {
  description = "The token subjects the deploy role accepts, to compare with what a workflow run presents."
  value       = local.subjects
}
